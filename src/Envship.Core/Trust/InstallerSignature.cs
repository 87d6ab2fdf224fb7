using Envship.Core.Archive.Installer;

namespace Envship.Core.Trust;

/// <summary>
/// Which signature stands for the archive inside an installer (<c>NAME.run</c>). The archive's own
/// signature, embedded after it, when the installer carries one: it signs exactly the bytes that are
/// deployed. Otherwise <c>NAME.run.minisig</c> beside the installer, which signs the whole file.
/// </summary>
public static class InstallerSignature
{
    /// <summary>True when the installer carries its archive's own signature.</summary>
    public static bool IsEmbedded(InstallerLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return layout.Signature.Size > 0;
    }

    /// <summary>How the embedded signature is named in messages: the installer and the part of it.</summary>
    public static string Label(string installer) => $"{installer} (the archive's signature inside it)";

    /// <summary>Reads the embedded signature without checking it; what <c>inspect</c> shows without keys.</summary>
    public static MinisignSignature Read(string installer, InstallerLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var content = new byte[layout.Signature.Size];
        using (var file = new FileStream(installer, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None))
        {
            file.Position = layout.Signature.Offset;
            file.ReadExactly(content);
        }

        return MinisignSignature.Parse(content, Label(installer));
    }

    /// <summary>Verifies the embedded archive against the embedded signature.</summary>
    public static VerifiedSignature Verify(string installer, InstallerLayout layout, IReadOnlyList<MinisignPublicKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var signature = Read(installer, layout);
        return SignatureVerifier.Verify(
            $"{installer} (the archive inside it)",
            Label(installer),
            signature,
            () => new SliceStream(new FileStream(installer, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), layout.Archive.Offset, layout.Archive.Size),
            keys,
            requirePrehashed: false,
            cancellationToken);
    }
}
