namespace Envship.Core.Trust;

/// <summary>Creates a minisign key pair and writes it: the secret key with mode 0600, the public key with 0644.</summary>
public static class KeyGenerator
{
    public const string DefaultPublicKeyFile = "envship.pub";
    public const string DefaultSecretKeyFile = "envship.key";

    private const UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Refuses to replace either file unless <paramref name="force"/>. A null <paramref name="password"/>
    /// stores the secret key unencrypted (<c>-W</c>).
    /// </summary>
    public static MinisignSecretKey Generate(string publicKeyPath, string secretKeyPath, string? password, ScryptCost cost, bool force)
    {
        ArgumentNullException.ThrowIfNull(publicKeyPath);
        ArgumentNullException.ThrowIfNull(secretKeyPath);
        EnsureWritable(publicKeyPath, secretKeyPath, force);
        var key = MinisignSecretKey.Generate();
        var secretText = key.ToFileText(password, cost);
        MinisignFormat.WriteAtomically(secretKeyPath, secretText, SecretMode);
        MinisignFormat.WriteAtomically(publicKeyPath, key.PublicKey.ToFileText(), MinisignFormat.PublicFileMode);
        return key;
    }

    /// <summary>Checked before asking for a password too, so nobody types one for a pair that cannot be written.</summary>
    public static void EnsureWritable(string publicKeyPath, string secretKeyPath, bool force)
    {
        ArgumentNullException.ThrowIfNull(publicKeyPath);
        ArgumentNullException.ThrowIfNull(secretKeyPath);
        if (Path.GetFullPath(publicKeyPath) == Path.GetFullPath(secretKeyPath))
        {
            throw new EnvshipException(ExitCode.Usage, $"{publicKeyPath}: given as both the public and the secret key file. Pass different paths with -p and -s.");
        }

        foreach (var path in new[] { publicKeyPath, secretKeyPath })
        {
            if (!force && (File.Exists(path) || Directory.Exists(path)))
            {
                throw new EnvshipException(ExitCode.DestinationExists, $"{path}: already exists; envship keygen will not replace a key. Pass -f to overwrite it, or choose other paths with -p and -s.");
            }
        }
    }
}
