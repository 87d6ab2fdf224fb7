using System.Text.Json;

namespace Envship.Core.Archive;

/// <summary>
/// The manifest's entries serialized one by one, as a single-pass pack archives each file, into a
/// scratch file that is deleted when disposed. The pack then keeps no entry objects, and the JSON
/// is written while the compressor works instead of after it. The text is exactly what
/// <see cref="ManifestJson.Write(Manifest, Stream)"/> writes between the entries' brackets.
/// </summary>
internal sealed class ManifestEntrySpool : IDisposable
{
    private readonly FileStream _file;
    private readonly Utf8JsonWriter _writer;
    private readonly long _start;

    public ManifestEntrySpool(string path)
    {
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        _writer = ManifestJson.NewWriter(_file);

        // The same nesting as in the manifest, so indentation and separators come out the same.
        _writer.WriteStartObject();
        _writer.WritePropertyName(ManifestJson.EntriesProperty);
        _writer.WriteStartArray();
        _writer.Flush();
        _start = _file.Position;
    }

    public int Count { get; private set; }

    public void Add(ManifestEntry entry)
    {
        JsonSerializer.Serialize(_writer, entry, ManifestJsonContext.Default.ManifestEntry);
        ManifestJson.FlushWhenFull(_writer);
        Count++;
    }

    /// <summary>Copies the serialized entries, from the first one's line break to the last one's closing brace.</summary>
    public void CopyTo(Stream output)
    {
        _writer.Flush();
        _file.Flush();
        var end = _file.Position;
        _file.Position = _start;
        var remaining = end - _start;
        var buffer = new byte[1 << 16];
        while (remaining > 0)
        {
            var read = _file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
            {
                throw new EndOfStreamException($"{_file.Name}: the spooled manifest entries ended {remaining} bytes early.");
            }

            output.Write(buffer, 0, read);
            remaining -= read;
        }

        _file.Position = end;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _file.Dispose();
    }
}
