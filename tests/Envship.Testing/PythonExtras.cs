using System.Security.Cryptography;
using System.Text;

namespace Envship.Testing;

/// <summary>The user-level content a python environment typically gains: console scripts and a pip-installed distribution.</summary>
internal static class PythonExtras
{
    private static readonly DateTime _sourceTime = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private const string HelloEnvBody = """
        import decimal
        import json
        import os
        import sys

        try:
            import sqlite3
        except ImportError:
            sqlite3 = None
        try:
            import ssl
        except ImportError:
            ssl = None

        print(sys.prefix)
        print(sys.executable)
        print(json.dumps({
            "decimal": str(decimal.Decimal("1.10") + decimal.Decimal("2.20")),
            "sqlite3": sqlite3 is not None,
            "ssl": ssl is not None,
            "os": os.__file__,
        }, sort_keys=True))

        """;

    private const string GreetingModule = """"
        """A tiny pip-installed distribution used by envship's test fixtures."""


        def main():
            print("hello from greeting")
            return 0

        """";

    private const string GreetEntryPoint = """
        # -*- coding: utf-8 -*-
        import re
        import sys
        from greeting import main
        if __name__ == '__main__':
            sys.argv[0] = re.sub(r'(-script\.pyw|\.exe)?$', '', sys.argv[0])
            sys.exit(main())

        """;

    /// <summary><c>bin/hello-env</c>: prints sys.prefix, sys.executable, then a JSON line of stdlib checks.</summary>
    public static void WriteHelloEnv(string prefix, string executableRelative) =>
        WriteScript(Path.Combine(prefix, "bin", "hello-env"), $"#!{Path.Combine(prefix, executableRelative)}\n" + HelloEnvBody);

    /// <summary>Installs <c>greeting-1.0</c> into site-packages as pip would, with its <c>bin/greet</c> entry point.</summary>
    public static void InstallGreeting(string prefix, string executableRelative, string sitePackagesRelative)
    {
        var sitePackages = Path.Combine(prefix, sitePackagesRelative);
        var module = Path.Combine(sitePackages, "greeting", "__init__.py");
        WriteFile(module, GreetingModule);
        var greet = Path.Combine(prefix, "bin", "greet");
        WriteScript(greet, $"#!{Path.Combine(prefix, executableRelative)}\n" + GreetEntryPoint);

        var pyc = CompileWith(Path.Combine(prefix, executableRelative), module);
        var distInfo = Path.Combine(sitePackages, "greeting-1.0.dist-info");
        WriteFile(Path.Combine(distInfo, "METADATA"),
            "Metadata-Version: 2.1\nName: greeting\nVersion: 1.0\nSummary: Prints a greeting (envship test fixture)\n\n");
        WriteFile(Path.Combine(distInfo, "INSTALLER"), "pip\n");
        WriteFile(Path.Combine(distInfo, "WHEEL"),
            "Wheel-Version: 1.0\nGenerator: envship-fixtures\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
        WriteFile(Path.Combine(distInfo, "entry_points.txt"), "[console_scripts]\ngreet = greeting:main\n");
        WriteFile(Path.Combine(distInfo, "top_level.txt"), "greeting\n");

        var record = new StringBuilder();
        foreach (var file in new[] { greet, module }.Concat(Directory.EnumerateFiles(distInfo).Order(StringComparer.Ordinal)))
            record.Append(RecordLine(sitePackages, file));
        record.Append(FileOps.Relative(sitePackages, pyc)).Append(",,\n");
        record.Append("greeting-1.0.dist-info/RECORD,,\n");
        WriteFile(Path.Combine(distInfo, "RECORD"), record.ToString());
    }

    /// <summary>Byte-compiles <paramref name="source"/> as pip does, so importing it later writes nothing.</summary>
    public static string CompileWith(string python, string source)
    {
        var output = ProcessRunner.RunChecked(
            python, ["-c", "import py_compile, sys; print(py_compile.compile(sys.argv[1], doraise=True))", source],
            environment: PythonInPrefix.CleanEnvironment);
        return output.StdOut.Trim();
    }

    private static string RecordLine(string sitePackages, string file)
    {
        var bytes = File.ReadAllBytes(file);
        var digest = Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{FileOps.Relative(sitePackages, file)},sha256={digest},{bytes.Length}\n";
    }

    private static void WriteScript(string path, string content)
    {
        WriteFile(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    private static void WriteFile(string path, string content)
    {
        FileOps.EnsureParent(path);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, _sourceTime);
    }
}
