using System.Text.Json;
using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Testing;

namespace Envship.Core.Tests.Deploy;

/// <summary>The receipt is streamed entry by entry; its bytes must be what the serializer writes, and read back.</summary>
public sealed class ReceiptTests
{
    [Fact]
    public void A_streamed_receipt_is_byte_for_byte_the_serialized_one_and_loads_back()
    {
        var files = new FileHashDictionary();
        var entries = new List<ManifestEntry>();
        for (var i = 0; i < 3000; i++)
        {
            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
            entries.Add(new ManifestEntry { Path = $"lib/f\u00e9{i}", Type = EntryType.File, Mode = 0x1A4, MtimeNs = i, Size = i, Sha256 = sha });
            files.Set($"lib/f\u00e9{i}", sha);
        }

        entries.Add(new ManifestEntry { Path = "lib", Type = EntryType.Directory, Mode = 0x1ED, MtimeNs = 1 });
        var receipt = new Receipt
        {
            EnvshipVersion = "0.1.0",
            Destination = "/opt/envs/x",
            DeployedAt = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000),
            ArchivePath = "/srv/x.tar.zst",
            ManifestSha256 = new string('c', 64),
            ArchiveFormat = ArchiveFormat.TarZst,
            Files = files,
            AddedFiles = ["bin/activate"],
            RelocationWarnings = [new RelocationWarning("lib/libz.so", 1, 60)],
            Manifest = new Manifest
            {
                EnvshipVersion = "0.1.0",
                SourcePrefix = "/opt/conda/envs/x",
                Platform = new ManifestPlatform("linux-64", "linux", "x86_64"),
                Created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
                Root = new ManifestRoot(0x1ED, 1),
                Environments = [],
                Summary = new ManifestSummary { Files = 3000 },
                Entries = entries,
            },
        };

        using var prefix = new TempDirectory();
        receipt.Save(prefix.Path);

        var streamed = File.ReadAllBytes(Path.Combine(prefix.Path, Receipt.RelativePath));
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(receipt, ReceiptJsonContext.Default.Receipt), streamed);
        var loaded = Receipt.Load(prefix.Path);
        Assert.Equal(3001, loaded.Manifest.Entries.Count);
        Assert.Equal(files["lib/f\u00e92999"], loaded.Files["lib/f\u00e92999"]);
    }
}
