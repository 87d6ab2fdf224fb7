#:package BouncyCastle.Cryptography
#:property TieredPGO=false
// SHA-256 throughput of the two implementations envship's Sha256 facade chooses between:
// .NET's (OpenSSL on Linux) and BouncyCastle's managed Sha256Digest (used where OpenSSL does not load).
// Run from the repository (versions from Directory.Packages.props): dotnet run bench/sha256-throughput.cs [MiB], default 1024.
using System.Diagnostics;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;

var mib = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1024;
var data = new byte[(long)mib << 20];
new Random(1).NextBytes(data);
var output = new byte[32];

for (var round = 0; round < 3; round++)
{
    var native = Measure(() => SHA256.HashData(data, output));
    var nativeHex = Convert.ToHexStringLower(output);
    var managed = Measure(() =>
    {
        var digest = new Sha256Digest();
        digest.BlockUpdate(data);
        digest.DoFinal(output);
    });
    if (Convert.ToHexStringLower(output) != nativeHex)
        throw new InvalidOperationException("the two implementations disagree");
    Console.WriteLine($"round {round + 1}: OpenSSL {mib / native.TotalSeconds:0} MiB/s, managed {mib / managed.TotalSeconds:0} MiB/s ({mib} MiB)");
}

static TimeSpan Measure(Action action)
{
    var clock = Stopwatch.StartNew();
    action();
    return clock.Elapsed;
}
