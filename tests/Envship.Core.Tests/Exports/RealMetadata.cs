using System.Text.Json;
using Envship.Testing;

namespace Envship.Core.Tests.Exports;

/// <summary>A writable copy of the real conda-meta fixture envpy313tosx_whl, used as a prefix.</summary>
public sealed class RealMetadata : IDisposable
{
    public const string FixtureName = "envpy313tosx_whl";

    public RealMetadata()
    {
        Work = new TempDirectory("envship-real-meta-");
        Prefix = Work.Combine(FixtureName);
        Copy(Path.Combine(FixturePaths.RealCondaMeta, FixtureName), Prefix);
        Records = Directory.EnumerateFiles(Path.Combine(Prefix, "conda-meta"), "*.json")
            .Select(f => JsonDocument.Parse(File.ReadAllBytes(f)).RootElement.Clone())
            .ToList();
    }

    public TempDirectory Work { get; }
    public string Prefix { get; }

    /// <summary>The raw records, read independently of envship's parser.</summary>
    public IReadOnlyList<JsonElement> Records { get; }

    public static string Field(JsonElement record, string name) => record.GetProperty(name).GetString()!;

    public void Dispose() => Work.Dispose();

    private static void Copy(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        foreach (var directory in Directory.EnumerateDirectories(source))
            Copy(directory, Path.Combine(destination, Path.GetFileName(directory)));
    }
}
