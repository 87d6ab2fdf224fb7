using System.Text.Json;
using System.Text.Json.Serialization;
using Envship.Core.Archive;

namespace Envship.Core.Deploy;

/// <summary>What a deploy wrote, kept in <c>DEST/.envship/receipt.json</c> so <c>verify</c> can tell drift later.</summary>
public sealed record Receipt
{
    public const string RelativePath = ".envship/receipt.json";

    public int FormatVersion { get; init; } = 1;
    public required string EnvshipVersion { get; init; }
    public required string Destination { get; init; }
    public required DateTimeOffset DeployedAt { get; init; }
    public required string ArchivePath { get; init; }
    public required string ArchiveSha256 { get; init; }
    public required ArchiveFormat ArchiveFormat { get; init; }

    /// <summary>SHA-256 of every regular file as deployed, after relocation.</summary>
    public required IReadOnlyDictionary<string, string> Files { get; init; }

    /// <summary>Files envship added that are not in the archive, such as <c>bin/activate</c>.</summary>
    public IReadOnlyList<string> AddedFiles { get; init; } = [];
    public IReadOnlyList<RelocationWarning> RelocationWarnings { get; init; } = [];
    public required Manifest Manifest { get; init; }

    /// <summary>The key that signed the archive; archives are not signed yet, so this is always null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? SignerKeyId { get; init; }

    public static Receipt Load(string prefix)
    {
        var path = Path.Combine(prefix, RelativePath);
        if (!File.Exists(path))
        {
            throw new EnvshipException(ExitCode.Usage, $"{path}: no receipt, so '{prefix}' was not deployed by envship. Deploy it with 'envship deploy' first.");
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), ReceiptJsonContext.Default.Receipt)
                ?? throw new InvalidDataException("empty");
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw new EnvshipException(ExitCode.Drift, $"{path}: the receipt is damaged ({ex.Message}). Deploy the archive again.", ex);
        }
    }

    public void Save(string prefix)
    {
        var path = Path.Combine(prefix, RelativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, ReceiptJsonContext.Default.Receipt));
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(Receipt))]
internal sealed partial class ReceiptJsonContext : JsonSerializerContext;
