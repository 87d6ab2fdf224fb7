namespace Envship.Testing;

/// <summary>A compiled program and the library it links, installed into a prefix.</summary>
/// <param name="ExecutableRelativePath">e.g. <c>bin/greeter</c>.</param>
/// <param name="LibraryRelativePath">e.g. <c>lib/libgreet.so</c>.</param>
/// <param name="LibraryMessage">First line the program prints (returned by the library).</param>
/// <param name="EmbeddedPath">Second line the program prints: a string constant naming a path in the prefix.</param>
public sealed record ElfProgram(string ExecutableRelativePath, string LibraryRelativePath, string LibraryMessage, string EmbeddedPath)
{
    /// <summary>The conda package the program came from (conda-style build only).</summary>
    public InstalledPackage? Package { get; init; }
}

/// <summary>
/// Compiles small ELF programs with gcc, conda-build style (placeholder prefix) or built in place, for this
/// machine or, with an <see cref="ElfTarget"/>, for another CPU through Debian's cross gcc.
/// </summary>
public static class ElfProgramBuilder
{
    /// <summary>Message returned by <c>libgreet.so</c>.</summary>
    public const string GreetMessage = "hello from libgreet";

    /// <summary>Message returned by <c>libtight.so</c>.</summary>
    public const string TightMessage = "hello from libtight";

    /// <summary>Length of conda-build's padded host prefix.</summary>
    public const int PlaceholderLength = 255;

    /// <summary>
    /// A conda-build host prefix: <c>/home/builder/conda-bld/greeter_&lt;ts&gt;/_h_env_placehold_placehold...</c>
    /// padded to exactly <see cref="PlaceholderLength"/> characters.
    /// </summary>
    public static string CondaBuildPlaceholder { get; } = MakePlaceholder("/home/builder/conda-bld/greeter_1767225600000/_h_env");

    /// <summary>
    /// Builds <c>greeter-1.0-0</c> the way conda-build would: compiled against the 255-character
    /// placeholder (RUNPATH and a string constant), packed as a <c>.conda</c>, then installed into
    /// <paramref name="prefix"/> through <paramref name="pkgsCacheDirectory"/> with NUL-padded
    /// binary replacement, leaving a <c>greeter-1.0-0.json</c> record. The package's subdir and arch are
    /// <paramref name="target"/>'s (this machine's by default).
    /// </summary>
    public static ElfProgram BuildCondaStyle(string prefix, string pkgsCacheDirectory, ElfTarget? target = null)
    {
        target ??= ElfTarget.LinuxX64;
        prefix = Path.GetFullPath(prefix);
        var placeholder = CondaBuildPlaceholder;
        var work = Directory.CreateTempSubdirectory("envship-greeter-").FullName;
        try
        {
            var payload = Path.Combine(work, "payload");
            Compile(target, work, payload, placeholder, "greet", "greet_message", GreetMessage, "greeter", "/share/greeter");
            var conf = Path.Combine(payload, "share", "greeter", "greeter.conf");
            FileOps.EnsureParent(conf);
            File.WriteAllText(conf, $"data_dir={placeholder}/share/greeter\n");

            var spec = new CondaPackageSpec("greeter", "1.0", "0")
            {
                Depends = ["libgcc >=13"],
                License = "MIT",
                Placeholder = placeholder,
                Subdir = target.Subdir,
                Arch = target.Arch,
            };
            var packageFile = CondaPackageWriter.Write(payload, spec, Path.Combine(work, "dist"));
            var package = CondaPackageInstaller.Install(packageFile, prefix, pkgsCacheDirectory,
                new CondaInstallOptions { RequestedSpec = "greeter" });
            var program = new ElfProgram("bin/greeter", "lib/libgreet.so", GreetMessage, $"{prefix}/share/greeter") { Package = package };
            Verify(target, prefix, program);
            return program;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Builds <c>bin/tight</c> and <c>lib/libtight.so</c> directly for <paramref name="prefix"/>
    /// (RUNPATH and string constant name the prefix with no spare room; no conda-meta record).
    /// </summary>
    public static ElfProgram BuildTight(string prefix, ElfTarget? target = null)
    {
        target ??= ElfTarget.LinuxX64;
        prefix = Path.GetFullPath(prefix);
        var work = Directory.CreateTempSubdirectory("envship-tight-").FullName;
        try
        {
            Compile(target, work, prefix, prefix, "tight", "tight_message", TightMessage, "tight", "/share/tight");
            var program = new ElfProgram("bin/tight", "lib/libtight.so", TightMessage, $"{prefix}/share/tight");
            Verify(target, prefix, program);
            return program;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Compile(
        ElfTarget target, string work, string outputRoot, string builtForPrefix, string library, string function, string message,
        string executable, string dataSuffix)
    {
        var sources = Path.Combine(work, "src");
        Directory.CreateDirectory(sources);
        Directory.CreateDirectory(Path.Combine(outputRoot, "lib"));
        Directory.CreateDirectory(Path.Combine(outputRoot, "bin"));
        File.WriteAllText(Path.Combine(sources, $"{library}.c"), LibrarySource(function, message));
        File.WriteAllText(Path.Combine(sources, $"{executable}_main.c"), ProgramSource(function, builtForPrefix + dataSuffix));

        var runPath = $"-Wl,-rpath,{builtForPrefix}/lib";
        var libraryFile = Path.Combine(outputRoot, "lib", $"lib{library}.so");
        // Relative source names keep the temporary directory out of the binaries.
        ProcessRunner.RunChecked(target.Compiler,
            ["-shared", "-fPIC", "-O2", "-o", libraryFile, $"src/{library}.c",
             $"-Wl,-soname,lib{library}.so", "-Wl,--enable-new-dtags", runPath], work);
        ProcessRunner.RunChecked(target.Compiler,
            ["-O2", "-o", Path.Combine(outputRoot, "bin", executable), $"src/{executable}_main.c",
             "-L" + Path.Combine(outputRoot, "lib"), $"-l{library}", "-Wl,--enable-new-dtags", runPath], work);
    }

    private static void Verify(ElfTarget target, string prefix, ElfProgram program)
    {
        var executable = Path.Combine(prefix, program.ExecutableRelativePath);
        var library = Path.Combine(prefix, program.LibraryRelativePath);
        // ldd runs the host's loader; for another CPU the library's message below shows it loaded, and it
        // exists nowhere but in the prefix.
        if (target.IsNative)
        {
            var ldd = ProcessRunner.RunChecked("ldd", [executable]).StdOut;
            var soName = Path.GetFileName(library);
            if (!ldd.Contains($"{soName} => {library} ", StringComparison.Ordinal))
                throw new InvalidOperationException($"ldd does not resolve {soName} inside {prefix}:\n{ldd}");
        }

        var output = target.RunChecked(executable, []).StdOut;
        var expected = $"{program.LibraryMessage}\n{program.EmbeddedPath}\n";
        if (output != expected)
            throw new InvalidOperationException($"{executable} printed '{output}', expected '{expected}'.");
    }

    private static string LibrarySource(string function, string message) => $$"""
        const char *{{function}}(void)
        {
            return "{{CString(message)}}";
        }

        """;

    private static string ProgramSource(string function, string dataDirectory) => $$"""
        #include <stdio.h>

        const char *{{function}}(void);

        static const char data_dir[] = "{{CString(dataDirectory)}}";

        int main(void)
        {
            puts({{function}}());
            puts(data_dir);
            return 0;
        }

        """;

    private static string MakePlaceholder(string start)
    {
        var builder = new System.Text.StringBuilder(start);
        while (builder.Length < PlaceholderLength)
            builder.Append("_placehold");
        return builder.ToString(0, PlaceholderLength);
    }

    private static string CString(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
