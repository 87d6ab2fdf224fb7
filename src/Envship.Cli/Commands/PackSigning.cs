using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Trust;
using Envship.Core;

namespace Envship.Cli.Commands;

/// <summary><c>pack --sign</c>: the key is decrypted before packing, so a wrong password fails before minutes of work.</summary>
internal static class PackSigning
{
    public static MinisignSecretKey? Prepare(CliConsole console, string? secretKeyFile, ArchiveFormat format)
    {
        if (secretKeyFile is null)
        {
            return null;
        }

        if (format == ArchiveFormat.Directory)
        {
            throw new EnvshipException(ExitCode.Usage, $"{secretKeyFile}: --sign needs a single archive file, but --format dir writes a directory. Pack to tar.zst, tar.gz or tar to sign it.");
        }

        return PasswordSource.LoadKey(console, secretKeyFile);
    }

    public static void Sign(CliConsole console, MinisignSecretKey? key, PackResult result, bool quiet, CancellationToken cancellationToken)
    {
        if (key is null)
        {
            return;
        }

        var comment = ArchiveSignature.Sign(result.OutputPath, result.Manifest, key, cancellationToken);
        if (!quiet)
        {
            console.Err.WriteLine($"Signed {FileSigner.SignaturePathFor(result.OutputPath)} with key {key.KeyId}: {comment}");
        }
    }
}
