namespace Envship.Core.Tests.Trust;

/// <summary>
/// Throwaway keys and signatures made with Debian's minisign 0.11, so the formats are checked
/// against the reference tool even where minisign is not installed. The signed file is "hi\n".
/// </summary>
internal static class MinisignVectors
{
    public const string Message = "hi\n";

    /// <summary><c>minisign -G -W</c>: stored in the clear, with minisign's all-zero checksum.</summary>
    public const string UnencryptedSecretKey =
        "untrusted comment: minisign encrypted secret key\n"
        + "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAZP7anMlGSyUWmU4bgONtMa70pqptDuWcjaxpWBk9X1UxjOLidQAlmBGeyEdutJ3bNxffMQGaKE9NHb3SKS3fRhhwHquJqfhMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

    public const string UnencryptedKeyId = "254B46C99CDAFE64";
    public const string UnencryptedPublicKey = "RWRk/tqcyUZLJRGeyEdutJ3bNxffMQGaKE9NHb3SKS3fRhhwHquJqfhM";

    /// <summary><c>minisign -S -l</c> with the unencrypted key: a legacy, non-prehashed <c>Ed</c> signature.</summary>
    public const string LegacySignature =
        "untrusted comment: signature from minisign secret key\n"
        + "RWRk/tqcyUZLJSmWY2WQP90boLWXOtmhdZSK0QPmqCO+KbivvvJ4+ZBfxI3W3v2QKdAsAS3JDHDyWHe1lsbGuswt1LcvieCg2gY=\n"
        + "trusted comment: timestamp:1795616364\tfile:f\n"
        + "DclIq+LdXrbrWQ9bAbDhgYvYVJAv+oDcfKeFtmj5Mem7v+uHy5jEOSpJaFWLAMQlqhSPX6ziotyq7PTB5fHyAA==\n";

    public const string PasswordKeyId = "F1C61F672421B9C1";

    public const string PasswordPublicKeyFile =
        "untrusted comment: minisign public key F1C61F672421B9C1\n"
        + "RWTBuSEkZx/G8RjJ+oKjGqvWeGyPgcqPUgBmVLuK3b9tNEr1y54Y+5wd\n";

    /// <summary><c>minisign -S</c> with a password-protected key: prehashed <c>ED</c>.</summary>
    public const string PrehashedSignature =
        "untrusted comment: signature from minisign secret key\n"
        + "RUTBuSEkZx/G8US48sVaAN8cVDFoAVs6ez+BrxmgIj+PIKpWKjH2bsXgG/B/JtU+XXXUBkQRY9FWlqbO7J4uw6AEOJB60Ufx6gA=\n"
        + "trusted comment: timestamp:1795615997\tfile:f\thashed\n"
        + "+o6aNOWozP2VbJ/adxuRfuHVHwrnqXdCz3QgJmX3VcmQXe6xLAHYt2UNKoFXAjtZ2vbDQBanBAbBIbh3M+RrCQ==\n";
}
