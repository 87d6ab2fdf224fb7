using System.Security.Cryptography;
using Envship.Core.Hashing;

namespace Envship.Core.Tests.Hashing;

/// <summary>
/// The managed SHA-256 (used where OpenSSL does not load) and the OpenSSL one give the same digests, one-shot,
/// over streams and appended piece by piece; both are checked against the standard's test vectors.
/// </summary>
public sealed class Sha256Tests
{
    public static TheoryData<int> Sizes => [0, 1, 3, 55, 56, 63, 64, 65, 127, 1000, (1 << 20) + 1, (1 << 20) + 12345];

    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Both_implementations_give_the_standard_test_vectors(string message, string expected)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(message);
        Assert.Equal(expected, Convert.ToHexStringLower(Sha256.HashData(bytes, openSsl: false)));
        Assert.Equal(expected, Convert.ToHexStringLower(Sha256.HashData(bytes, openSsl: true)));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void One_shot_over_a_span_matches(int size)
    {
        var data = Data(size);
        var reference = SHA256.HashData(data);
        Assert.Equal(reference, Sha256.HashData(data, openSsl: false));
        Assert.Equal(reference, Sha256.HashData(data, openSsl: true));

        Span<byte> managed = stackalloc byte[Sha256.HashSizeInBytes];
        Sha256.HashData(data, managed, openSsl: false);
        Assert.Equal(reference, managed.ToArray());
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void One_shot_over_a_stream_matches(int size)
    {
        var data = Data(size);
        var reference = SHA256.HashData(data);
        Assert.Equal(reference, Sha256.HashData(new MemoryStream(data), openSsl: false));
        Assert.Equal(reference, Sha256.HashData(new MemoryStream(data), openSsl: true));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Incremental_appends_split_at_odd_boundaries_match(bool openSsl)
    {
        var data = Data((1 << 20) + 777);
        using var hasher = new Sha256Hasher(openSsl);
        var cuts = new[] { 1, 63, 64, 65, 4095, 100_003, 7 };
        var position = 0;
        var cut = 0;
        var prefixHashes = new List<(int Length, byte[] Hash)>();
        while (position < data.Length)
        {
            var length = Math.Min(cuts[cut++ % cuts.Length], data.Length - position);
            hasher.AppendData(data, position, length);
            position += length;
            if (cut % 3 == 0)
                prefixHashes.Add((position, hasher.GetCurrentHash()));
        }

        Assert.Equal(SHA256.HashData(data), hasher.GetHashAndReset());
        Assert.NotEmpty(prefixHashes);
        foreach (var (length, hash) in prefixHashes)
            Assert.Equal(SHA256.HashData(data.AsSpan(0, length)), hash);

        // After a reset the hasher starts over.
        hasher.AppendData(data.AsSpan(0, 3));
        Assert.Equal(SHA256.HashData(data.AsSpan(0, 3)), hasher.GetHashAndReset());
        Assert.Equal(SHA256.HashData([]), hasher.GetHashAndReset());
    }

    [Fact]
    public void The_probe_tries_the_override_first_then_the_runtimes_sonames()
    {
        Assert.Equal("libssl.so.3", OpenSsl.Sonames(null)[0]);
        Assert.Equal(["libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.2", "libssl.so.1.0.0", "libssl.so.10"], OpenSsl.Sonames(null));
        Assert.Equal("libssl.so.1.0.2", OpenSsl.Sonames("1.0.2")[0]);
        Assert.Equal(OpenSsl.Sonames(null), OpenSsl.Sonames(new string('9', 33)));
    }

    [Fact]
    public void OpenSsl_is_found_on_this_machine_that_has_it()
    {
        // This machine has libssl.so.3 (the native test hides it to see the other side).
        Assert.True(File.Exists("/usr/lib/x86_64-linux-gnu/libssl.so.3") || File.Exists("/lib/x86_64-linux-gnu/libssl.so.3"), "the test machine has no libssl.so.3");
        Assert.True(OpenSsl.IsAvailable);
        Assert.True(Sha256.UsesOpenSsl);
    }

    [Fact]
    public void The_write_stream_passes_the_bytes_through_and_keeps_their_hash_after_a_wrapper_disposes_it()
    {
        var data = Data(300_001);
        using var target = new MemoryStream();
        var hashing = new Sha256WriteStream(target, leaveOpen: true);
        using (var buffered = new BufferedStream(hashing, 4096))
        {
            buffered.Write(data, 0, 7);
            buffered.Write(data, 7, data.Length - 7);
        }

        Assert.Equal(data, target.ToArray());
        Assert.Equal(SHA256.HashData(data), hashing.Hash);
    }

    private static byte[] Data(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        return data;
    }
}
