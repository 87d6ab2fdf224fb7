using Envship.Core.Registry;
using Envship.Core.Registry.Transport;

namespace Envship.Testing.Registry;

/// <summary>A signature referrer that claims one environment but carries the signature of another, as an attacker with push access could make.</summary>
public static class ForgedReferrer
{
    /// <summary>In <paramref name="repository"/> (<c>oci://HOST/REPO</c>), points a copy of <paramref name="signedTag"/>'s signature referrer at <paramref name="victimTag"/>.</summary>
    public static void PushCopyOfSignature(string repository, string signedTag, string victimTag)
    {
        using var store = RegistryRepository.Open(OciReference.Parse($"{repository}:{signedTag}"), RemoteOptions.Default);
        var cancel = CancellationToken.None;
        var signed = store.GetManifestAsync(signedTag, cancel).GetAwaiter().GetResult();
        var victim = store.GetManifestAsync(victimTag, cancel).GetAwaiter().GetResult();
        var referrer = store.GetReferrersAsync(signed.Digest, OciMediaTypes.Signature, cancel).GetAwaiter().GetResult()[0];
        var original = OciImageManifest.Parse(store.GetManifestAsync(referrer.Digest, cancel).GetAwaiter().GetResult().Content);
        var forged = original with
        {
            Subject = new OciDescriptor { MediaType = victim.MediaType, Digest = victim.Digest, Size = victim.Content.Length },
        };
        var bytes = forged.ToJson();
        var digest = OciDigest.Of(bytes);
        store.PushManifestAsync(digest, new OciManifestBytes(bytes, OciMediaTypes.ImageManifest, digest), cancel).GetAwaiter().GetResult();
    }
}
