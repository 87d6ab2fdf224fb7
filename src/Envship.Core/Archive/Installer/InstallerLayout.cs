using System.Globalization;
using System.Text;

namespace Envship.Core.Archive.Installer;

/// <summary>One part of an installer file: where it starts, how long it is and, for the binary and the archive, its SHA-256.</summary>
public sealed record InstallerSection(long Offset, long Size, string? Sha256)
{
    public long End => Offset + Size;
}

/// <summary>
/// Where the parts of a self-extracting installer (<c>NAME.run</c>) lie: the sh header, the native envship,
/// the archive and the archive's optional signature, back to back in that order. The header's first
/// lines carry these numbers as <c>envship_KEY=VALUE</c>; this reads them back and checks that they
/// tile the file exactly, so the archive inside is found without running the script.
/// </summary>
public sealed record InstallerLayout(long HeaderSize, InstallerTarget Target, InstallerSection Binary, InstallerSection Archive, InstallerSection Signature)
{
    /// <summary>The first two lines of every installer.</summary>
    public const string Magic = "#!/bin/sh\n# envship-installer 1\n";

    /// <summary>The layout lines always sit within this many leading bytes.</summary>
    public const int LayoutWindow = 4096;

    /// <summary>Decimal numbers are padded with spaces to this width, so the header's length never depends on them.</summary>
    public const int NumberWidth = 20;

    /// <summary>True when <paramref name="head"/> starts like an installer: then it must parse, or it is damaged.</summary>
    public static bool IsInstaller(ReadOnlySpan<byte> head) => head.StartsWith(Encoding.ASCII.GetBytes(Magic));

    /// <summary>Reads the layout from an open file, or returns null for a file that is not an installer.</summary>
    public static InstallerLayout? TryRead(Stream file, string path)
    {
        ArgumentNullException.ThrowIfNull(file);
        var head = new byte[LayoutWindow];
        file.Position = 0;
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        file.Position = 0;
        return IsInstaller(head.AsSpan(0, read)) ? Parse(head.AsSpan(0, read), file.Length, path) : null;
    }

    /// <summary>Reads the layout of the installer at <paramref name="path"/>, or null when it is no installer (or a directory).</summary>
    public static InstallerLayout? TryRead(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        return TryRead(file, path);
    }

    /// <summary>
    /// Parses the layout lines of <paramref name="head"/> and checks them against a file of
    /// <paramref name="fileLength"/> bytes. Anything inconsistent is <see cref="ExitCode.DamagedArchive"/>.
    /// </summary>
    public static InstallerLayout Parse(ReadOnlySpan<byte> head, long fileLength, string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = Encoding.ASCII.GetString(head);
        foreach (var line in text.Split('\n').Skip(2))
        {
            if (line == "# end of layout")
            {
                return Build(values, fileLength, path);
            }

            if (!line.StartsWith("envship_", StringComparison.Ordinal))
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? line : line[..equals];
            if (equals < 0 || !values.TryAdd(key, line[(equals + 1)..].TrimEnd(' ')))
            {
                throw Damaged(path, $"its layout line '{line}' is malformed or repeated");
            }
        }

        throw Damaged(path, $"its layout lines do not end with '# end of layout' within the first {LayoutWindow} bytes");
    }

    private static InstallerLayout Build(Dictionary<string, string> values, long fileLength, string path)
    {
        var headerSize = Number(values, "envship_header_size", path);
        var targetName = Value(values, "envship_target", path);
        var target = InstallerTarget.Find(targetName) ?? throw Damaged(path, $"it names target '{targetName}', which is none of {InstallerTarget.Choices}");
        var binary = new InstallerSection(Number(values, "envship_binary_offset", path), Number(values, "envship_binary_size", path), Digest(values, "envship_binary_sha256", path));
        var archive = new InstallerSection(Number(values, "envship_archive_offset", path), Number(values, "envship_archive_size", path), Digest(values, "envship_archive_sha256", path));
        var signature = new InstallerSection(Number(values, "envship_signature_offset", path), Number(values, "envship_signature_size", path), null);
        if (binary.Offset != headerSize || archive.Offset != binary.End || signature.Offset != archive.End || binary.Size == 0 || archive.Size == 0)
        {
            throw Damaged(path, $"its layout does not place the binary ({binary.Offset}+{binary.Size}), archive ({archive.Offset}+{archive.Size}) and signature ({signature.Offset}+{signature.Size}) back to back after the {headerSize}-byte header");
        }

        if (signature.End != fileLength)
        {
            throw Damaged(path, $"it is {fileLength} bytes long but its layout says {signature.End}: it was cut short or changed");
        }

        return new InstallerLayout(headerSize, target, binary, archive, signature);
    }

    private static string Value(Dictionary<string, string> values, string key, string path) =>
        values.TryGetValue(key, out var value) ? value : throw Damaged(path, $"its layout lacks {key}");

    private static long Number(Dictionary<string, string> values, string key, string path)
    {
        var text = Value(values, key, path);
        return text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0')
            ? long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : throw Damaged(path, $"its layout value {key}='{text}' is not a plain decimal number");
    }

    private static string Digest(Dictionary<string, string> values, string key, string path)
    {
        var text = Value(values, key, path);
        return text.Length == 64 && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')
            ? text
            : throw Damaged(path, $"its layout value {key}='{text}' is not a SHA-256 in lowercase hex");
    }

    private static EnvshipException Damaged(string path, string cause) =>
        new(ExitCode.DamagedArchive, $"{path}: starts like an envship installer, but {cause}. Copy the installer again from its source; if that does not help, make it again with 'envship bundle ARCHIVE -o NAME.run'.");
}
