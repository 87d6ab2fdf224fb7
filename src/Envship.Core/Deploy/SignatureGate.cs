using Envship.Core.Trust;

namespace Envship.Core.Deploy;

/// <summary>
/// The first step of a deploy or dry run: when keys are given or a signature is required, the
/// archive must carry a good minisign signature from a trusted key before a single byte is written.
/// </summary>
public static class SignatureGate
{
    /// <summary>Set to 1 (or true) to make every deploy on a machine require a signature.</summary>
    public const string RequireEnvironmentVariable = "ENVSHIP_REQUIRE_SIGNATURE";

    /// <summary>Returns the verified signature, or null when none was asked for.</summary>
    public static VerifiedSignature? Check(DeployOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var archive = options.ArchivePath;
        if (options.VerifyKeys.Count == 0)
        {
            return options.RequireSignature
                ? throw new EnvshipException(
                    ExitCode.Usage,
                    $"{archive}: a signature is required (--require-signature or {RequireEnvironmentVariable}=1) but no trusted key was given. Pass the signer's public key with --verify-key PUBFILE.")
                : null;
        }

        if (Directory.Exists(archive))
        {
            throw new EnvshipException(
                ExitCode.SignatureMissing,
                $"{archive}: a directory archive cannot carry a signature. Deploy the signed tar archive, or drop --verify-key and --require-signature.");
        }

        var keys = options.VerifyKeys.Select(MinisignPublicKey.Load).ToList();
        if (Archive.Installer.InstallerLayout.TryRead(archive) is { } installer && InstallerSignature.IsEmbedded(installer))
        {
            return InstallerSignature.Verify(archive, installer, keys, cancellationToken);
        }

        return SignatureVerifier.Verify(archive, keys, requirePrehashed: false, signaturePath: null, cancellationToken);
    }

    /// <summary>True when the environment variable asks for signatures everywhere.</summary>
    public static bool RequiredByEnvironment(string? value) =>
        value is not null && (value.Trim() == "1" || value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase));
}
