using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Envship.Core.Conda;

/// <summary>
/// Removes the machine-specific package cache paths that conda stores in conda-meta records, so a
/// packed environment does not point at the build machine's <c>pkgs/</c> directory.
/// </summary>
public static class CondaRecordSanitizer
{
    private static readonly byte[] _utf8Bom = [0xEF, 0xBB, 0xBF];

    private static readonly JsonWriterOptions _writerOptions = new()
    {
        Indented = true,
        IndentCharacter = ' ',
        IndentSize = 2,
        NewLine = "\n",
        // conda's records hold version constraints such as "<2.0a0"; the default encoder would turn '<' into \u003C.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Sets <c>extracted_package_dir</c>, <c>package_tarball_full_path</c> and <c>link.source</c> to ""
    /// unless <paramref name="keepPath"/> returns true for the value. Returns null when nothing changed,
    /// otherwise the record re-serialized with its key order kept and conda's two-space indentation.
    /// Throws <see cref="JsonException"/> when the record is not a JSON object.
    /// </summary>
    public static byte[]? BlankCachePaths(ReadOnlySpan<byte> json, Func<string, bool> keepPath)
    {
        ArgumentNullException.ThrowIfNull(keepPath);
        if (json.StartsWith(_utf8Bom))
        {
            json = json[_utf8Bom.Length..];
        }

        var endsWithNewline = json.Length > 0 && json[^1] == (byte)'\n';
        var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true }) as JsonObject
            ?? throw new JsonException("A conda-meta record must be a JSON object.");

        var changed = Blank(root, "extracted_package_dir", keepPath);
        changed |= Blank(root, "package_tarball_full_path", keepPath);
        if (root["link"] is JsonObject link)
        {
            changed |= Blank(link, "source", keepPath);
        }

        if (!changed)
        {
            return null;
        }

        using var buffer = new MemoryStream(json.Length);
        using (var writer = new Utf8JsonWriter(buffer, _writerOptions))
        {
            root.WriteTo(writer);
        }

        if (endsWithNewline)
        {
            buffer.WriteByte((byte)'\n');
        }

        return buffer.ToArray();
    }

    private static bool Blank(JsonObject obj, string key, Func<string, bool> keepPath)
    {
        if (obj[key] is not JsonValue value
            || value.GetValueKind() != JsonValueKind.String
            || value.GetValue<string>() is not { Length: > 0 } path
            || keepPath(path))
        {
            return false;
        }

        obj[key] = string.Empty;
        return true;
    }
}
