using System.Text.Json;
using Envship.Core.Archive;
using Envship.Core.Pack;

namespace Envship.Core.Manifests;

/// <summary>
/// Writes one manifest entry exactly as the generated serializer does (the same properties in the
/// same order, nulls left out, enums by name), without making its hash a string first: a pack of
/// 200,000 files spools every entry as it goes, and a deploy writes them all again into the receipt.
/// </summary>
internal static class ManifestEntryWriter
{
    private static readonly JsonEncodedText PathName = JsonEncodedText.Encode("path");
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText ModeName = JsonEncodedText.Encode("mode");
    private static readonly JsonEncodedText MtimeName = JsonEncodedText.Encode("mtime_ns");
    private static readonly JsonEncodedText SizeName = JsonEncodedText.Encode("size");
    private static readonly JsonEncodedText Sha256Name = JsonEncodedText.Encode("sha256");
    private static readonly JsonEncodedText TargetName = JsonEncodedText.Encode("target");
    private static readonly JsonEncodedText RelocationName = JsonEncodedText.Encode("relocation");
    private static readonly JsonEncodedText[] Types = [.. Enum.GetValues<EntryType>().Select(t => JsonEncodedText.Encode(t.ToString()))];

    public static void Write(Utf8JsonWriter writer, ManifestEntry entry)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entry);
        writer.WriteStartObject();
        writer.WriteString(PathName, entry.Path);
        if ((int)entry.Type >= 0 && (int)entry.Type < Types.Length)
        {
            writer.WriteString(TypeName, Types[(int)entry.Type]);
        }
        else
        {
            writer.WriteNumber(TypeName, (int)entry.Type);
        }

        writer.WriteNumber(ModeName, entry.Mode);
        writer.WriteNumber(MtimeName, entry.MtimeNs);
        writer.WriteNumber(SizeName, entry.Size);
        if (entry.Digest is { } digest)
        {
            Span<byte> hex = stackalloc byte[64];
            digest.FormatLowerHex(hex);
            writer.WriteString(Sha256Name, hex);
        }
        else if (entry.Sha256 is { } text)
        {
            writer.WriteString(Sha256Name, text);
        }

        if (entry.Target is { } target)
        {
            writer.WriteString(TargetName, target);
        }

        if (entry.Relocation is { } relocation)
        {
            writer.WritePropertyName(RelocationName);
            JsonSerializer.Serialize(writer, relocation, ManifestJsonContext.Default.FileRelocation);
        }

        writer.WriteEndObject();
    }
}
