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

    /// <summary>Creates (with parents) a directory inside and returns its full path.</summary>
    public string CreateDirectory(string relativePath)
    {
        var full = Combine(relativePath);
        Directory.CreateDirectory(full);
        return full;
    }

    /// <summary>Writes a UTF-8 file inside (creating parents) and returns its full path.</summary>
    public string WriteFile(string relativePath, string content)
    {
        var full = Combine(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp directory must not fail the test that owned it.
        }
    }
}
