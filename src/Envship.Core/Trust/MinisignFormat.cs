using System.Text;
using Envship.Core.Platform;

namespace Envship.Core.Trust;

/// <summary>What minisign's key and signature files share: algorithm tags, comment lines, base64 lines.</summary>
internal static class MinisignFormat
{
    public const string UntrustedPrefix = "untrusted comment: ";
    public const string TrustedPrefix = "trusted comment: ";
    public const string SignatureSuffix = ".minisig";
    public const UnixFileMode PublicFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The longest comments minisign's line buffers read back whole (8192 and 1024 bytes with prefix, line end and NUL).</summary>
    public const int MaxTrustedCommentBytes = 8192 - 17 - 2;
    public const int MaxUntrustedCommentBytes = 1024 - 19 - 2;

    public static ReadOnlySpan<byte> SignatureAlgorithm => "Ed"u8;
    public static ReadOnlySpan<byte> PrehashedAlgorithm => "ED"u8;
    public static ReadOnlySpan<byte> ScryptAlgorithm => "Sc"u8;
    public static ReadOnlySpan<byte> NoKdf => "\0\0"u8;
    public static ReadOnlySpan<byte> Blake2bChecksum => "B2"u8;

    /// <summary>Decodes standard padded base64 of exactly <paramref name="length"/> bytes, or returns null.</summary>
    public static byte[]? DecodeBase64(string text, int length)
    {
        var buffer = new byte[length + 3];
        return Convert.TryFromBase64String(text, buffer, out var written) && written == length ? buffer[..length] : null;
    }

    public static string Printable(ReadOnlySpan<byte> tag)
    {
        var builder = new StringBuilder();
        foreach (var b in tag)
        {
            builder.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        }

        return builder.ToString();
    }

    /// <summary>
    /// Reads a small text file as lines without their line ends. A missing file is reported with
    /// <paramref name="missingCode"/>; anything else that stops the read is an I/O failure.
    /// </summary>
    public static IReadOnlyList<string> ReadLines(string path, string what, ExitCode missingCode, string fix)
    {
        try
        {
            if (new FileInfo(path).Length > 64 * 1024)
            {
                throw new EnvshipException(missingCode == ExitCode.SignatureMissing ? ExitCode.BadSignature : ExitCode.BadKey, $"{path}: too large to be a minisign {what} file. {fix}");
            }

            var text = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false));
            return text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new EnvshipException(missingCode, $"{path}: the {what} file does not exist. {fix}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EnvshipException(ExitCode.IoFailure, $"{path}: cannot read the {what} file: {ex.Message} Check its permissions.", ex);
        }
    }

    /// <summary>
    /// Writes a whole small file under a temporary name and renames it into place, so a reader
    /// never sees half a key or half a signature. <paramref name="mode"/> is set at creation.
    /// </summary>
    public static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        var temporary = $"{path}.envship-tmp-{Environment.ProcessId}";
        try
        {
            File.Delete(temporary);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            UnixFileSystem.Rename(temporary, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new EnvshipException(ExitCode.IoFailure, $"{path}: cannot write: {ex.Message} Check that the directory exists and is writable.", ex);
        }
    }
}
