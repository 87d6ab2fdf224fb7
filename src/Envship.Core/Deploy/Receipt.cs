using System.Text.Json.Serialization;
using System.Text.Json;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

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
    /// <summary>
    /// The SHA-256 of the archive's manifest, which names every file's SHA-256: the content that was
    /// deployed, whatever compression carried it. <c>envship inspect</c> shows it for any archive.
    /// Null only in receipts written before it was recorded.
    /// </summary>
    public string? ManifestSha256 { get; init; }
    public required ArchiveFormat ArchiveFormat { get; init; }

    /// <summary>SHA-256 of every regular file as deployed, after relocation.</summary>
    public required IReadOnlyDictionary<string, string> Files { get; init; }

    /// <summary>Files envship added that are not in the archive, such as <c>bin/activate</c>.</summary>
    public IReadOnlyList<string> AddedFiles { get; init; } = [];
    public IReadOnlyList<RelocationWarning> RelocationWarnings { get; init; } = [];

    /// <summary>Binary strings left unchanged because another constant is stored as their tail.</summary>
    public IReadOnlyList<KeptString> KeptStrings { get; init; } = [];
    /// <summary>Files deployed with <c>--ignore-glibc</c> that need a newer glibc than this machine had; null when none.</summary>
    public IReadOnlyList<GlibcShortfall>? GlibcShortfalls { get; init; }

    /// <summary>The environment's CUDA need against the driver at deploy time; null when no environment needs CUDA.</summary>
    public CudaCheck? Cuda { get; init; }
    public required Manifest Manifest { get; init; }

    /// <summary>The key that signed the archive; archives are not signed yet, so this is always null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? SignerKeyId { get; init; }

    /// <summary>The group given with <c>--group</c>; null when the deploying user's was kept.</summary>
    public int? GroupId { get; init; }

    public static Receipt Load(string prefix)
    {
        var path = Path.Combine(prefix, RelativePath);
        if (!File.Exists(path))
        {
            throw NotDeployed(prefix);
        }

        try
        {
            using var json = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return JsonSerializer.Deserialize(json, ReceiptJsonContext.Default.Receipt)
                ?? throw new InvalidDataException("empty");
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw new EnvshipException(ExitCode.Drift, $"{path}: the receipt is damaged ({ex.Message}). Deploy the archive again.", ex);
        }
    }

    /// <summary>The error for a path envship never deployed: <c>verify</c> and <c>history</c> both report it, with one exit code.</summary>
    public static EnvshipException NotDeployed(string prefix) => new(
        ExitCode.Usage,
        $"{prefix}: not an envship deployment (it has no {RelativePath}), so there is no receipt to compare with. Pass the prefix given to 'envship deploy', or deploy there first with 'envship deploy ARCHIVE --prefix {prefix}'.");

    /// <summary>
    /// Writes the receipt as the serializer would, but streams <see cref="Files"/> and the manifest's entries
    /// through a small buffer: at 200,000 files the whole text would be about 90 MB held in memory at once.
    /// </summary>
    public void Save(string prefix)
    {
        var path = Path.Combine(prefix, RelativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using (var json = ManifestJson.NewOutput(file))
        {
            Write(json);
            json.Spill();
        }
    }

    private void Write(JsonOutput json)
    {
        var writer = json.Writer;
        Span<byte> hex = stackalloc byte[64];
        var outline = this with { Files = new Dictionary<string, string>(), Manifest = Manifest with { Entries = [] } };
        var head = JsonSerializer.SerializeToNode(outline, ReceiptJsonContext.Default.Receipt)!.AsObject();
        writer.WriteStartObject();
        foreach (var (name, value) in head)
        {
            writer.WritePropertyName(name);
            switch (name)
            {
                case "files":
                    writer.WriteStartObject();
                    if (Files is FileHashDictionary held)
                    {
                        foreach (var (file, digest) in held.Digests)
                        {
                            digest.FormatLowerHex(hex);
                            writer.WriteString(file, hex);
                            json.SpillWhenFull();
                        }
                    }
                    else
                    {
                        foreach (var (file, sha256) in Files)
                        {
                            writer.WriteString(file, sha256);
                            json.SpillWhenFull();
                        }
                    }

                    writer.WriteEndObject();
                    break;
                case "manifest":
                    ManifestJson.WriteObject(json, Manifest);
                    break;
                default:
                    ManifestJson.WriteValue(writer, value, ReceiptJsonContext.Default.Options);
                    break;
            }
        }

        writer.WriteEndObject();
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(Receipt))]
internal sealed partial class ReceiptJsonContext : JsonSerializerContext;
