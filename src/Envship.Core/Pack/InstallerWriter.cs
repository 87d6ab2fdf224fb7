using Envship.Core.Archive;
using Envship.Core.Archive.Installer;
using Envship.Core.Manifests;
using Envship.Core.Platform;
using Envship.Core.Trust;
using Envship.Core.Hashing;

namespace Envship.Core.Pack;

/// <summary>What <see cref="InstallerWriter.Write"/> puts together.</summary>
public sealed record InstallerOptions
{
    /// <summary>An archive made by <c>envship pack</c> (tar.zst, tar.gz or tar).</summary>
    public required string ArchivePath { get; init; }

    /// <summary>The installer to write, usually <c>NAME.run</c>.</summary>
    public required string Output { get; init; }

    public required InstallerTarget Target { get; init; }

    /// <summary>The native envship for <see cref="Target"/>, already checked by <see cref="InstallerBinary.Resolve"/>.</summary>
    public required string BinaryPath { get; init; }

    /// <summary>The archive's own minisign signature to embed, or null.</summary>
    public string? ArchiveSignaturePath { get; init; }

    public bool Force { get; init; }
}

public sealed record InstallerResult(string OutputPath, long Bytes, InstallerLayout Layout, Manifest Manifest, string ManifestSha256);

/// <summary>
/// Writes a self-extracting installer: the sh header, the native envship, the archive and the
/// archive's signature, back to back. Nothing in it depends on the time or the machine, so the same
/// archive and binary always give the same bytes.
/// </summary>
public static class InstallerWriter
{
    private const int MaxSignatureBytes = 64 * 1024;

    public static InstallerResult Write(InstallerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var output = Path.GetFullPath(options.Output);
        if (Directory.Exists(options.ArchivePath))
        {
            throw new EnvshipException(ExitCode.Usage, $"{options.ArchivePath}: is a directory archive (--format dir); an installer carries a single archive file. Pack to tar.zst first.");
        }

        if (InstallerLayout.TryRead(options.ArchivePath) is not null)
        {
            throw new EnvshipException(ExitCode.Usage, $"{options.ArchivePath}: is an installer already. Bundle the archive it carries instead: sh {options.ArchivePath} --extract-archive ARCHIVE.tar.zst writes it out.");
        }

        Manifest manifest;
        string manifestSha256;
        using (var reader = ArchiveReader.Open(options.ArchivePath))
        {
            (manifest, manifestSha256) = (reader.Manifest, reader.ManifestSha256);
        }

        if (manifest.Platform.Os == "linux" && manifest.Platform.Arch != options.Target.ManifestArch)
        {
            throw new EnvshipException(ExitCode.Usage, $"{options.ArchivePath}: holds a {manifest.Platform.Subdir} environment, which an installer for {options.Target.Name} could never deploy. Pass the matching --target.");
        }

        var signature = options.ArchiveSignaturePath is null ? [] : ReadSignature(options.ArchiveSignaturePath);
        OutputFile.ClaimOrThrow(output, options.Force);
        var temporary = OutputFile.TemporaryPath(output);
        try
        {
            var layout = WriteTemporary(temporary, options, signature, cancellationToken);
            UnixFileSystem.Rename(temporary, output);
            return new InstallerResult(output, layout.Signature.End, layout, manifest, manifestSha256);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static InstallerLayout WriteTemporary(string temporary, InstallerOptions options, byte[] signature, CancellationToken cancellationToken)
    {
        var creation = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 1 << 16,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
        };
        using var file = new FileStream(temporary, creation);

        // The header's length is fixed, so the parts go first and the header, which names their hashes, last.
        file.Position = InstallerHeader.Size;
        var (binarySize, binarySha256) = Append(file, options.BinaryPath, cancellationToken);
        var (archiveSize, archiveSha256) = Append(file, options.ArchivePath, cancellationToken);
        file.Write(signature);
        var layout = InstallerHeader.Layout(options.Target, binarySize, binarySha256, archiveSize, archiveSha256, signature.Length);
        file.Position = 0;
        file.Write(InstallerHeader.Render(layout));
        file.Flush(flushToDisk: true);
        return layout;
    }

    private static (long Size, string Sha256) Append(FileStream output, string path, CancellationToken cancellationToken)
    {
        using var sha256 = Sha256.CreateHasher();
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long size = 0;
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            sha256.AppendData(buffer, 0, read);
            output.Write(buffer, 0, read);
            size += read;
        }

        return (size, Convert.ToHexStringLower(sha256.GetHashAndReset()));
    }

    private static byte[] ReadSignature(string path)
    {
        if (new FileInfo(path).Length > MaxSignatureBytes)
        {
            throw new EnvshipException(ExitCode.BadSignature, $"{path}: too large to be a minisign signature. Sign the archive again with envship sign or minisign -S.");
        }

        var content = File.ReadAllBytes(path);

        // Refused now rather than at every deploy: a malformed signature would make --verify-key fail on the target.
        _ = MinisignSignature.Parse(content, path);
        return content;
    }
}
