using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive;

public enum ArchiveFormat
{
    TarZst,
    TarGz,
    Tar,
    Directory,
}

public static class ArchiveFormats
{
    /// <summary>What <c>--format</c> accepts; <c>infer</c> (as in conda-pack) means "from the output's name".</summary>
    public const string Choices = "tar.zst (or tzst), tar.gz (or tgz), tar, dir (or no-archive), infer";

    private const string WritableNames = ".tar.zst (zstd), .tar.gz or .tgz (gzip) or .tar (uncompressed), or pass --format dir for a directory";

    // Formats conda-pack writes that envship does not: named so the refusal says what it is, not "unknown".
    private static readonly (string Suffix, string Kind)[] Unwritable =
    [
        (".zip", "zip"), (".tar.bz2", "tar.bz2"), (".tbz2", "tar.bz2"), (".tbz", "tar.bz2"), (".tar.xz", "tar.xz"),
        (".txz", "tar.xz"), (".squashfs", "squashfs"), (".parcel", "parcel"),
    ];

    private static readonly (string Suffix, ArchiveFormat Format)[] Writable =
    [
        (".tar.zst", ArchiveFormat.TarZst), (".tzst", ArchiveFormat.TarZst), (".tar.gz", ArchiveFormat.TarGz),
        (".tgz", ArchiveFormat.TarGz), (".tar", ArchiveFormat.Tar),
    ];

    public static string Extension(ArchiveFormat format) => format switch
    {
        ArchiveFormat.TarZst => ".tar.zst",
        ArchiveFormat.TarGz => ".tar.gz",
        ArchiveFormat.Tar => ".tar",
        _ => "",
    };

    public static string Name(ArchiveFormat format) => format switch
    {
        ArchiveFormat.TarZst => "tar.zst",
        ArchiveFormat.TarGz => "tar.gz",
        ArchiveFormat.Tar => "tar",
        _ => "dir",
    };

    public static ArchiveFormat Parse(string text) => text switch
    {
        "tar.zst" or "tar.zstd" or "zst" or "tzst" => ArchiveFormat.TarZst,
        "tar.gz" or "tgz" => ArchiveFormat.TarGz,
        "tar" => ArchiveFormat.Tar,
        "dir" or "directory" or "no-archive" => ArchiveFormat.Directory,
        _ when Unwritable.Any(u => u.Kind == text || u.Suffix == "." + text) => throw new EnvshipException(
            ExitCode.Usage, $"--format {text}: envship cannot write {text} archives. Use one of: {Choices}."),
        _ => throw new EnvshipException(ExitCode.Usage, $"--format: expected one of {Choices}; got '{text}'."),
    };

    /// <summary>
    /// The format a pack writes: <paramref name="format"/> when given, otherwise the one the output's
    /// name says, as conda-pack infers it, so that <c>-o env.tar.gz</c> is gzip. Throws
    /// <see cref="ExitCode.Usage"/> for a name envship cannot write and for a format that contradicts the name.
    /// </summary>
    public static ArchiveFormat Choose(string? output, string? format)
    {
        if (output is not null && Unwritable.FirstOrDefault(u => output.EndsWith(u.Suffix, StringComparison.OrdinalIgnoreCase)) is { Kind: { } kind })
        {
            throw new EnvshipException(ExitCode.Usage, $"-o {output}: envship cannot write {kind} archives. Name the output {WritableNames}.");
        }

        var named = output is null ? null : FromName(output);
        if (format is null or "infer")
        {
            return output is null
                ? ArchiveFormat.TarZst
                : named ?? throw new EnvshipException(ExitCode.Usage, $"-o {output}: cannot tell the archive format from the name. Name the output {WritableNames}.");
        }

        var chosen = Parse(format);
        if (output is not null && named is { } fromName && fromName != chosen)
        {
            throw new EnvshipException(
                ExitCode.Usage,
                $"--format {format} contradicts the output name {output}, which says {Name(fromName)}. Drop --format to write {Name(fromName)}, or name the output "
                + (chosen == ArchiveFormat.Directory ? "without an archive extension." : $"with {Extension(chosen)}."));
        }

        return chosen;
    }

    /// <summary>The compression levels <paramref name="format"/> accepts, or null when it is not compressed.</summary>
    public static (int Min, int Max)? LevelRange(ArchiveFormat format) => format switch
    {
        ArchiveFormat.TarZst => (1, 19),
        ArchiveFormat.TarGz => (1, 9),
        _ => null,
    };

    /// <summary>Refuses a level the format's compressor does not have, before anything is read or written.</summary>
    public static void CheckLevel(ArchiveFormat format, int? level)
    {
        if (level is not { } given)
        {
            return;
        }

        if (LevelRange(format) is not var (min, max))
        {
            throw new EnvshipException(ExitCode.Usage, $"--compress-level: --format {Name(format)} is not compressed. Drop --compress-level, or write tar.zst or tar.gz.");
        }

        if (given < min || given > max)
        {
            var compressor = format == ArchiveFormat.TarZst ? "zstd" : "gzip";
            throw new EnvshipException(ExitCode.Usage, $"--compress-level: {compressor} levels are {min} to {max} (default {DefaultLevel(format)}); got {given}.");
        }
    }

    public static int DefaultLevel(ArchiveFormat format) => format == ArchiveFormat.TarGz ? 6 : 3;

    /// <summary>Tells the format from the first bytes, never from the file name.</summary>
    public static ArchiveFormat? Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD]))
        {
            return ArchiveFormat.TarZst;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
        {
            return ArchiveFormat.TarGz;
        }

        return head.Length >= 262 && head[257..262].SequenceEqual("ustar"u8) ? ArchiveFormat.Tar : null;
    }

    private static ArchiveFormat? FromName(string output)
    {
        foreach (var (suffix, format) in Writable)
        {
            if (output.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return format;
            }
        }

        return null;
    }
}
