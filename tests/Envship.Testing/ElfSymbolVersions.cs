using System.Text.RegularExpressions;

namespace Envship.Testing;

/// <summary>What a dynamic ELF file asks of the C library, read with binutils (<c>objdump -T</c>, <c>readelf -d</c>).</summary>
public static partial class ElfSymbolVersions
{
    /// <summary>Every imported symbol with its GLIBC_ version, e.g. (<c>pthread_create</c>, 2.2.5).</summary>
    public static IReadOnlyList<(string Symbol, Version Version)> GlibcImports(string elfPath)
    {
        var dump = ProcessRunner.Run("objdump", ["-T", elfPath]);
        if (dump.ExitCode != 0)
            throw new InvalidOperationException($"objdump -T {elfPath} failed: {dump.StdErr}");
        var imports = new List<(string, Version)>();
        foreach (var line in dump.StdOut.Split('\n'))
        {
            var match = GlibcVersionedSymbol().Match(line);
            if (match.Success)
                imports.Add((match.Groups["symbol"].Value, ParseGlibcVersion(match.Groups["version"].Value)));
        }

        return imports;
    }

    /// <summary>The highest GLIBC_ version among the imports: the oldest glibc the file can start on.</summary>
    public static Version HighestGlibc(string elfPath) =>
        GlibcImports(elfPath).Select(import => import.Version).DefaultIfEmpty(new Version(0, 0)).Max()!;

    /// <summary>The DT_NEEDED entries, in order.</summary>
    public static IReadOnlyList<string> NeededLibraries(string elfPath)
    {
        var dynamic = ProcessRunner.Run("readelf", ["-d", "-W", elfPath]);
        if (dynamic.ExitCode != 0)
            throw new InvalidOperationException($"readelf -d {elfPath} failed: {dynamic.StdErr}");
        return [.. NeededEntry().Matches(dynamic.StdOut).Select(match => match.Groups["name"].Value)];
    }

    private static Version ParseGlibcVersion(string text)
    {
        var parts = text.Split('.').Select(int.Parse).ToArray();
        return parts.Length switch
        {
            2 => new Version(parts[0], parts[1]),
            3 => new Version(parts[0], parts[1], parts[2]),
            _ => throw new FormatException("unexpected GLIBC version " + text),
        };
    }

    [GeneratedRegex(@"\(GLIBC_(?<version>[0-9.]+)\)\s+(?<symbol>\S+)\s*$")]
    private static partial Regex GlibcVersionedSymbol();

    [GeneratedRegex(@"\(NEEDED\)\s+Shared library: \[(?<name>[^\]]+)\]")]
    private static partial Regex NeededEntry();
}
