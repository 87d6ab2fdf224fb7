using System.Text.Json;
using Envship.Core.Archive;
using Envship.Core.Pack;

namespace Envship.Core.Manifests;

/// <summary>
/// The manifest's entries serialized one by one, as a single-pass pack archives each file, into a
/// scratch file that is deleted when disposed. The pack then keeps no entry objects, and the JSON
/// is written while the compressor works instead of after it. The text is exactly what
/// <see cref="ManifestJson.Write(Manifest, Stream)"/> writes between the entries' brackets.
/// </summary>
internal sealed class ManifestEntrySpool : IDisposable
{
    private readonly FileStream _file;
    private readonly JsonOutput _json;

    public ManifestEntrySpool(string path)
    {
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 0, FileOptions.DeleteOnClose);
        _json = ManifestJson.NewOutput(_file);

        // The same nesting as in the manifest, so indentation and separators come out the same;
        // the opening itself is the manifest's to write.
        _json.Writer.WriteStartObject();
        _json.Writer.WritePropertyName(ManifestJson.EntriesProperty);
        _json.Writer.WriteStartArray();
        _json.Discard();
    }

    public int Count { get; private set; }

    public void Add(ManifestEntry entry)
    {
        ManifestEntryWriter.Write(_json.Writer, entry);
        _json.SpillWhenFull();
        Count++;
    }

    /// <summary>Copies the serialized entries, from the first one's line break to the last one's closing brace.</summary>
    public void CopyTo(Stream output)
    {
        _json.Spill();
        var end = _file.Position;
        _file.Position = 0;
        var remaining = end;
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
        _json.Dispose();
        _file.Dispose();
    }
}
