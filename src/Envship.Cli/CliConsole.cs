using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Envship.Cli;

/// <summary>Where commands write: results to stdout, diagnostics and progress to stderr.</summary>
public sealed class CliConsole(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;
    public TextWriter Err { get; } = error;

    /// <summary>True when stderr is a terminal that can redraw a progress bar.</summary>
    public bool IsInteractive => ReferenceEquals(Err, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    public void Line(string text) => Out.WriteLine(text);

    public void Error(string text) => Err.WriteLine(text);

    public void Warning(string text) => Err.WriteLine($"envship: warning: {text}");

    public void Json<T>(T value, JsonTypeInfo<T> typeInfo) => Out.WriteLine(JsonSerializer.Serialize(value, typeInfo));
}
