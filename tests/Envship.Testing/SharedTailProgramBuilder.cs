namespace Envship.Testing;

/// <summary>
/// A self-built program in a prefix that ends in its version, as pyenv's <c>~/.pyenv/versions/3.11.7</c>:
/// <c>lib/libpyver.so</c> returns the prefix string, and the version constant the linker stores as that
/// string's last bytes (once through a pointer in data, once straight from code).
/// </summary>
public static class SharedTailProgramBuilder
{
    public const string Version = "3.11.7";
    public const string ExecutableRelativePath = "bin/pyver";
    public const string LibraryRelativePath = "lib/libpyver.so";

    /// <summary>The prefix's data directory, which shares its tail with nothing and is relocated.</summary>
    public const string DataSuffix = "/share/pyver";

    /// <summary>
    /// Compiles with <c>gcc -O2</c> into <paramref name="prefix"/> (which must end in <see cref="Version"/>),
    /// with <c>conda-meta/history</c> so it packs as an environment. The program prints the version twice,
    /// the prefix and the data directory.
    /// </summary>
    public static void Build(string prefix)
    {
        if (!prefix.EndsWith("/" + Version, StringComparison.Ordinal))
            throw new ArgumentException($"The prefix must end in /{Version}.", nameof(prefix));

        var work = Directory.CreateTempSubdirectory("envship-pyver-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(prefix, "conda-meta"));
            File.WriteAllText(Path.Combine(prefix, "conda-meta", "history"), "");
            Directory.CreateDirectory(Path.Combine(prefix, "lib"));
            Directory.CreateDirectory(Path.Combine(prefix, "bin"));
            File.WriteAllText(Path.Combine(work, "pyver.c"), $$"""
                const char *VERSION = "{{Version}}";
                const char *py_version(void) { return VERSION; }
                const char *py_version_direct(void) { return "{{Version}}"; }
                const char *py_prefix(void) { return "{{prefix}}"; }
                const char *py_data(void) { return "{{prefix}}{{DataSuffix}}"; }

                """);
            File.WriteAllText(Path.Combine(work, "main.c"), """
                #include <stdio.h>
                const char *py_version(void);
                const char *py_version_direct(void);
                const char *py_prefix(void);
                const char *py_data(void);
                int main(void)
                {
                    puts(py_version());
                    puts(py_version_direct());
                    puts(py_prefix());
                    puts(py_data());
                    return 0;
                }

                """);
            var library = Path.Combine(prefix, LibraryRelativePath);
            ProcessRunner.RunChecked("gcc", ["-O2", "-shared", "-fPIC", "-o", library, "pyver.c", "-Wl,-soname,libpyver.so"], work);
            ProcessRunner.RunChecked("gcc",
                ["-O2", "-o", Path.Combine(prefix, ExecutableRelativePath), "main.c", "-L" + Path.Combine(prefix, "lib"), "-lpyver",
                 "-Wl,--enable-new-dtags", $"-Wl,-rpath,{prefix}/lib"], work);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
