using System.Security.Cryptography;
using System.Text;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Scanning;

namespace Envship.Core.Tests.Scanning;

public sealed class FileAnalyzerTests
{
    private const string Prefix = "/opt/envs/demo";
    private readonly FileAnalyzer _analyzer = new(Prefix);

    [Theory]
    [InlineData("share/a.txt", "no prefix here", null, 0)]
    [InlineData("etc/a.conf", "prefix=/opt/envs/demo\nlib=/opt/envs/demo/lib\n", RelocationKind.Text, 2)]
    [InlineData("bin/tool", "#!/opt/envs/demo/bin/python3.11\nimport sys\n", RelocationKind.Shebang, 1)]
    [InlineData("bin/tool2", "#!/bin/sh\necho /opt/envs/demo\n", RelocationKind.Text, 1)]
    [InlineData("lib/x/__pycache__/m.cpython-311.pyc", "\u0000\u0001/opt/envs/demo/lib/m.py\u0000", RelocationKind.Pyc, 1)]
    [InlineData("lib/pkg.whl", "PK\u0003\u0004.../opt/envs/demo/...", RelocationKind.Zip, 1)]
    [InlineData("share/sibling.txt", "/opt/envs/demo2 is a sibling, /opt/envs/demo is ours", RelocationKind.Text, 2)]
    public void Classifies_each_kind_of_hit(string path, string content, RelocationKind? expected, int occurrences)
    {
        var analysis = Analyze(path, Encoding.UTF8.GetBytes(content));

        Assert.Equal(expected, analysis.Relocation?.Kind);
        Assert.Equal(occurrences, analysis.Relocation?.Occurrences ?? 0);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), analysis.Sha256);
    }

    [Fact]
    public void Zip_hits_are_reported_as_warnings()
    {
        var analysis = Analyze("lib/site-packages/x.egg", Encoding.UTF8.GetBytes("PK\u0003\u0004 /opt/envs/demo"));

        Assert.Contains(analysis.Warnings, w => w.Contains("lib/site-packages/x.egg", StringComparison.Ordinal) && w.Contains("zip", StringComparison.Ordinal));
    }

    [Fact]
    public void Binary_string_segment_records_offset_string_length_and_room()
    {
        var data = Concat([0x7F, 0x00, 0x01], "/opt/envs/demo/lib:/opt/envs/demo/x"u8.ToArray(), [0, 0, 0, 0, 9], "tail"u8.ToArray());

        var segment = Assert.Single(Analyze("lib/libx.so", data).Relocation!.Segments!);

        Assert.Equal(3, segment.Offset);
        Assert.Equal("/opt/envs/demo/lib:/opt/envs/demo/x".Length, segment.StringLength);
        Assert.Equal(2, segment.Occurrences);
        Assert.Equal(segment.StringLength + 1, segment.Length);
    }

    [Fact]
    public void Placeholder_metadata_adds_the_nul_padding_conda_left_as_room()
    {
        var placeholder = "/" + new string('p', 254);
        var padding = placeholder.Length - Prefix.Length;
        var data = Concat([1, 0], "/opt/envs/demo/share"u8.ToArray(), new byte[padding + 1], "next"u8.ToArray());

        var segment = Assert.Single(Analyze("bin/prog", data, new PlaceholderHint(placeholder, "binary")).Relocation!.Segments!);

        Assert.Equal("/opt/envs/demo/share".Length + 1 + padding, segment.Length);
    }

    [Fact]
    public void Finds_hits_that_straddle_read_chunks_at_their_exact_offsets()
    {
        var data = new byte[(1 << 20) + 4096];
        data.AsSpan().Fill((byte)'x');
        var offsets = new[] { (1 << 20) - 5, 17, (1 << 20) + 100 };
        foreach (var offset in offsets)
        {
            "/opt/envs/demo"u8.CopyTo(data.AsSpan(offset));
        }

        var analysis = Analyze("share/big.txt", data);

        Assert.Equal(RelocationKind.Text, analysis.Relocation!.Kind);
        Assert.Equal(3, analysis.Relocation.Occurrences);
        Assert.Equal(data.Length, analysis.Size);
    }

    private FileAnalysis Analyze(string path, byte[] data, PlaceholderHint? hint = null)
    {
        using var stream = new MemoryStream(data, writable: false);
        return _analyzer.Analyze(stream, path, hint);
    }

    private static byte[] Concat(params ReadOnlySpan<byte[]> parts)
    {
        var all = new List<byte>();
        foreach (var part in parts)
        {
            all.AddRange(part);
        }

        return [.. all];
    }
}
