using System.Text;
using Envship.Core.Deploy;
using Envship.Core.Registry.Pull;
using Envship.Core.Trust;

namespace Envship.Core.Registry.LayeredDeploy;

/// <summary>
/// The signature check of a registry deploy, made before any layer is fetched: a signature referrer of
/// the environment's manifest (docs/registry.md) must hold a minisign signature, by a trusted key, of
/// the manifest's digest string. The same exit codes as a file's <c>.minisig</c>: missing 23, unknown key 20, bad 21.
/// </summary>
public static class RegistrySignatureGate
{
    private const int MaxReferrers = 16;
    private const long MaxSignatureBytes = 4096;

    public static async Task<VerifiedSignature?> CheckAsync(IOciSource source, ResolvedEnvironment environment, IReadOnlyList<string> verifyKeys, bool requireSignature, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(verifyKeys);
        var subject = environment.Manifest.Digest;
        if (verifyKeys.Count == 0)
        {
            return requireSignature
                ? throw new EnvshipException(ExitCode.Usage, $"{environment.Location}: a signature is required (--require-signature or {SignatureGate.RequireEnvironmentVariable}=1) but no trusted key was given. Pass the signer's public key with --verify-key PUBFILE.")
                : null;
        }

        var keys = verifyKeys.Select(MinisignPublicKey.Load).ToList();
        var referrers = await source.GetReferrersAsync(subject, OciMediaTypes.Signature, cancellationToken).ConfigureAwait(false);
        if (referrers.Count == 0)
        {
            throw new EnvshipException(ExitCode.SignatureMissing, $"{environment.Location}: no signature referrer for manifest {subject}, so nothing was fetched or written. Push the environment with 'envship push --sign SECFILE', or drop --verify-key and --require-signature.");
        }

        var scratch = Directory.CreateTempSubdirectory("envship-signature-");
        try
        {
            var failures = new List<EnvshipException>();
            foreach (var referrer in referrers.Take(MaxReferrers))
            {
                try
                {
                    return await VerifyAsync(source, environment, referrer, keys, scratch.FullName, cancellationToken).ConfigureAwait(false);
                }
                catch (EnvshipException ex) when (ex.Code is ExitCode.UnknownKey or ExitCode.BadSignature or ExitCode.TrustedCommentModified or ExitCode.SignatureMissing or ExitCode.DamagedArchive)
                {
                    failures.Add(ex);
                }
            }

            // One signature by a trusted key that does not verify says more than others by keys nobody trusts.
            throw failures.FirstOrDefault(f => f.Code is not (ExitCode.UnknownKey or ExitCode.SignatureMissing)) ?? failures[0];
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task<VerifiedSignature> VerifyAsync(IOciSource source, ResolvedEnvironment environment, OciDescriptor referrer, IReadOnlyList<MinisignPublicKey> keys, string scratch, CancellationToken cancellationToken)
    {
        var subject = environment.Manifest.Digest;
        var what = $"{environment.Location}: signature referrer {referrer.Digest}";
        var manifest = await source.GetManifestAsync(referrer.Digest, cancellationToken).ConfigureAwait(false);
        if (OciDigest.Of(manifest.Content) != referrer.Digest)
        {
            throw new EnvshipException(ExitCode.DamagedArchive, $"{what}: its bytes do not match its digest. The registry's copy is damaged or was tampered with.");
        }

        OciImageManifest image;
        try
        {
            image = OciImageManifest.Parse(manifest.Content);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new EnvshipException(ExitCode.BadSignature, $"{what}: not a valid manifest ({ex.Message}). Sign the environment again with 'envship push --sign'.", ex);
        }

        var layer = image.Layers.FirstOrDefault(l => l.MediaType == OciMediaTypes.MinisignSignature);
        if (image.Subject?.Digest != subject || layer is null)
        {
            throw new EnvshipException(ExitCode.SignatureMissing, $"{what}: not a signature of {subject} (no {OciMediaTypes.MinisignSignature} layer, or another subject). Sign the environment again with 'envship push --sign'.");
        }

        if (layer.Size > MaxSignatureBytes)
        {
            throw new EnvshipException(ExitCode.BadSignature, $"{what}: its signature layer declares {layer.Size} bytes; a minisign signature is a few hundred. Do not trust it.");
        }

        var name = subject.Replace(':', '-');
        var signed = Path.Combine(scratch, name);
        var signature = signed + ".minisig";
        await File.WriteAllBytesAsync(signed, Encoding.ASCII.GetBytes(subject), cancellationToken).ConfigureAwait(false);
        using (var blob = new VerifyingBlobStream(await source.OpenBlobAsync(layer, 0, cancellationToken).ConfigureAwait(false), layer, $"{what}: the signature layer"))
        using (var file = new FileStream(signature, FileMode.CreateNew, FileAccess.Write))
        {
            await blob.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            blob.Verify();
        }

        try
        {
            return SignatureVerifier.Verify(signed, keys, requirePrehashed: false, signature, cancellationToken);
        }
        catch (EnvshipException ex)
        {
            throw new EnvshipException(ex.Code, $"{what} (a signature of the manifest digest string '{subject}'): {ex.Message}", ex);
        }
        finally
        {
            File.Delete(signature);
            File.Delete(signed);
        }
    }
}
