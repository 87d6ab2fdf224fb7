namespace Envship.Testing;

/// <summary>A fresh directory under <see cref="Path.GetTempPath"/>, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string namePrefix = "envship-test-")
    {
        Path = Directory.CreateTempSubdirectory(namePrefix).FullName;
    }

    public string Path { get; }

    /// <summary>A path inside the directory (not created).</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
