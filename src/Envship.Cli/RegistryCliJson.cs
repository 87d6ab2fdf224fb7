using System.Text.Json.Serialization;
using Envship.Core.Registry.Auth;

namespace Envship.Cli;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(LoginResult))]
[JsonSerializable(typeof(LogoutResult))]
[JsonSerializable(typeof(Commands.PushSummary))]
[JsonSerializable(typeof(Commands.PullSummary))]
internal sealed partial class RegistryCliJsonContext : JsonSerializerContext;
