using System.Text.Json.Serialization;
using Envship.Core.Archive;
using Envship.Core.Deploy;

namespace Envship.Cli;

public sealed record EnvironmentSummary(string Path, string Name, string? PythonVersion, int CondaPackages, int PipDistributions);

public sealed record PackSummary(
    string Output,
    long ArchiveBytes,
    string SourcePrefix,
    string Platform,
    bool WholeInstallation,
    IReadOnlyList<EnvironmentSummary> Environments,
    ManifestSummary Summary,
    IReadOnlyList<string> Warnings,
    double ElapsedSeconds);

public sealed record DeploySummary(
    string Destination,
    string ArchiveSha256,
    string SourcePrefix,
    int FilesRelocated,
    IReadOnlyList<RelocationWarning> RelocationWarnings,
    IReadOnlyList<string> AddedFiles,
    string Activate,
    double ElapsedSeconds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PackSummary))]
[JsonSerializable(typeof(DeploySummary))]
[JsonSerializable(typeof(DriftReport))]
[JsonSerializable(typeof(IReadOnlyList<DeployedVersion>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
