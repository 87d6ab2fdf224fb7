using System.Buffers;
using System.Text.Json;
using Envship.Core.Archive;
using Envship.Core.Pack;

namespace Envship.Core.Manifests;

/// <summary>
/// A JSON writer that collects its text in a small buffer and hands it to a stream in pieces of
/// about <see cref="SpillBytes"/>. Over a stream, <c>JsonSerializer.Serialize(Utf8JsonWriter, …)</c>
/// flushes the stream after every value: one write(2) per manifest entry, 200,000 of them for a
/// large environment. Here a flush only commits bytes to the buffer.
/// </summary>
internal sealed class JsonOutput : IDisposable
{
    public const int SpillBytes = 1 << 16;

    private readonly ArrayBufferWriter<byte> _pending = new(2 * SpillBytes);
    private readonly Stream _output;

    public JsonOutput(Stream output, JsonWriterOptions options)
    {
        _output = output;
        Writer = new Utf8JsonWriter(_pending, options);
    }

    public Utf8JsonWriter Writer { get; }

    /// <summary>Call between values: passes the text on once enough has collected.</summary>
    public void SpillWhenFull()
    {
        Writer.Flush();
        if (_pending.WrittenCount >= SpillBytes)
        {
            Spill();
        }
    }

    /// <summary>Passes on everything written so far.</summary>
    public void Spill()
    {
        Writer.Flush();
        _output.Write(_pending.WrittenSpan);
        _pending.ResetWrittenCount();
    }

    /// <summary>Drops what was written but not yet spilled (text that frames a part written elsewhere).</summary>
    public void Discard()
    {
        Writer.Flush();
        _pending.ResetWrittenCount();
    }

    public void Dispose() => Writer.Dispose();
}
