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
    public static string Extension(ArchiveFormat format) => format switch
    {
        ArchiveFormat.TarZst => ".tar.zst",
        ArchiveFormat.TarGz => ".tar.gz",
        ArchiveFormat.Tar => ".tar",
        _ => "",
    };

    public static ArchiveFormat Parse(string text) => text switch
    {
        "tar.zst" or "tar.zstd" or "zst" => ArchiveFormat.TarZst,
        "tar.gz" or "tgz" => ArchiveFormat.TarGz,
        "tar" => ArchiveFormat.Tar,
        "dir" or "directory" => ArchiveFormat.Directory,
        _ => throw new EnvshipException(ExitCode.Usage, $"Unknown format '{text}'. Use one of: tar.zst, tar.gz, tar, dir."),
    };

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
}
