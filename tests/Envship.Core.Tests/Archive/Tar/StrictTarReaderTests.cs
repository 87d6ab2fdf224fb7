using System.Formats.Tar;
using System.Text;
using Envship.Core.Archive.Tar;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Testing;

namespace Envship.Core.Tests.Archive.Tar;

/// <summary>Issue 12, item 3: each class of hostile tar header, refused; each legitimate writer's output, read as GNU tar reads it.</summary>
public sealed class StrictTarReaderTests
{
    private static readonly byte[] Hello = "hello"u8.ToArray();

    [Fact]
    public void Reads_what_System_Formats_Tar_writes_in_ustar_and_pax_with_long_and_non_ascii_names()
    {
        var longName = new string('d', 60) + "/" + new string('e', 60) + "/f.txt";
        var accented = new string('\u00e9', 60) + "/x";
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "short.txt") { DataStream = new MemoryStream(Hello) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, longName) { DataStream = new MemoryStream(Hello) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, accented + "/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "link") { LinkName = new string('t', 130) });
        }

        var members = ReadAll(output.ToArray());

        Assert.Equal(["short.txt", longName, accented + "/", "link"], members.Select(m => m.Name));
        Assert.Equal("hello", members[1].Data);
        Assert.Equal(new string('t', 130), members[3].Link);
    }

    [Fact]
    public void Reads_what_gnu_tar_writes_in_posix_and_gnu_formats()
    {
        using var work = new TempDirectory("strict-tar-");
        var deep = Path.Combine(new string('a', 70), new string('b', 70));
        Directory.CreateDirectory(work.Combine("src", deep));
        File.WriteAllText(work.Combine("src", deep, "caf\u00e9.txt"), "data");
        foreach (var format in new[] { "posix", "gnu", "ustar" })
        {
            var tar = work.Combine(format + ".tar");
            ProcessRunner.RunChecked("tar", ["--format=" + format, "-cf", tar, "-C", work.Combine("src"), new string('a', 70)]);
            var listing = ProcessRunner.RunChecked("tar", ["-tf", tar]).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);

            if (format == "gnu")
            {
                // Names over 100 bytes become 'L' headers, which envship never writes: refused, not misread.
                var error = Assert.Throws<TarFormatException>(() => ReadAll(File.ReadAllBytes(tar)));
                Assert.Contains("GNU long-name header", error.Message, StringComparison.Ordinal);
                continue;
            }

            Assert.Equal(listing, ReadAll(File.ReadAllBytes(tar)).Select(m => m.Name));
        }
    }

    [Theory]
    [InlineData("member header")]
    [InlineData("pax header")]
    public void A_wrong_checksum_is_refused(string where)
    {
        var tar = Concat(RawTar.Pax(RawTar.Text("path", "a.txt")), RawTar.Header("a.txt", '0', 5), RawTar.Padded(Hello), RawTar.End());
        var header = where == "pax header" ? 0 : 2 * RawTar.Block;
        tar[header + 265] ^= 0x01; // uname: a field envship ignores, so only the checksum can tell

        var error = Assert.Throws<TarFormatException>(() => ReadAll(tar));

        Assert.Contains("checksum is wrong", error.Message, StringComparison.Ordinal);
        Assert.False(error.Tampered);
    }

    [Fact]
    public void The_historical_signed_checksum_is_accepted_as_gnu_tar_does()
    {
        var header = RawTar.Header("a.txt", '0', 5, edit: h => h[265] = 0xE9);
        long signed = 0;
        for (var i = 0; i < header.Length; i++)
        {
            signed += i is >= 148 and < 156 ? ' ' : (sbyte)header[i];
        }

        Encoding.ASCII.GetBytes(Convert.ToString(signed, 8).PadLeft(6, '0') + "\0 ", header.AsSpan(148, 8));

        Assert.Equal("a.txt", ReadAll(Concat(header, RawTar.Padded(Hello), RawTar.End())).Single().Name);
    }

    [Fact]
    public void A_header_without_ustar_magic_is_refused()
    {
        var tar = Concat(RawTar.Header("a.txt", '0', 5, edit: h => h.AsSpan(257, 8).Clear()), RawTar.Padded(Hello), RawTar.End());

        Assert.Contains("without the ustar magic", Assert.Throws<TarFormatException>(() => ReadAll(tar)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pax_size_over_4_GiB_is_read_in_64_bits_and_must_match_the_ustar_size()
    {
        const long Size = (1L << 32) + 5;
        var agreeing = Concat(RawTar.Pax(RawTar.Text("size", Size.ToString(System.Globalization.CultureInfo.InvariantCulture))), RawTar.Header("big", '0', Size));
        using var reader = new StrictTarReader(new MemoryStream(agreeing));
        Assert.True(reader.MoveNext());
        Assert.Equal(Size, reader.Size);

        var lying = Concat(RawTar.Pax(RawTar.Text("size", Size.ToString(System.Globalization.CultureInfo.InvariantCulture))), RawTar.Header("big", '0', 5), RawTar.Padded(Hello), RawTar.Header("hidden", '0', 0), RawTar.End());
        var error = Assert.Throws<TarFormatException>(() => ReadAll(lying));
        Assert.Contains("pax size of 4294967301 bytes but a ustar size of 5", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9223372036854775808")]
    [InlineData("-5")]
    [InlineData("1e3")]
    public void A_pax_size_that_is_not_a_number_below_2_to_63_is_refused(string size)
    {
        var tar = Concat(RawTar.Pax(RawTar.Text("size", size)), RawTar.Header("a", '0', 0), RawTar.End());

        Assert.Contains("not a number below 2^63", Assert.Throws<TarFormatException>(() => ReadAll(tar)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Base_256_sizes_are_read_up_to_2_to_63_and_refused_beyond_or_negative()
    {
        var largest = Concat(RawTar.Header("a", '0', 0, edit: h => RawTar.Base256(h, 124, 12, long.MaxValue)));
        using (var reader = new StrictTarReader(new MemoryStream(largest)))
        {
            Assert.True(reader.MoveNext());
            Assert.Equal(long.MaxValue, reader.Size);
        }

        var overflow = RawTar.Header("a", '0', 0, edit: h => { h.AsSpan(124, 12).Fill(0xFF); h[124] = 0x80; });
        Assert.Contains("does not fit in 63 bits", Assert.Throws<TarFormatException>(() => ReadAll(overflow)).Message, StringComparison.Ordinal);
        var negative = RawTar.Header("a", '0', 0, edit: h => h.AsSpan(124, 12).Fill(0xFF));
        Assert.Contains("negative size", Assert.Throws<TarFormatException>(() => ReadAll(negative)).Message, StringComparison.Ordinal);
        var garbage = RawTar.Header("a", '0', 0, edit: h => "0000x000000\0"u8.CopyTo(h.AsSpan(124)));
        Assert.Contains("size field is not a number", Assert.Throws<TarFormatException>(() => ReadAll(garbage)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("path", "evil.txt", "a.txt", null)]
    [InlineData("linkpath", "/etc/passwd", "l", "config.txt")]
    [InlineData("path", "a.txtX", "a.txt", null)]
    public void A_pax_name_or_link_target_that_differs_from_the_ustar_field_is_refused(string key, string pax, string name, string? link)
    {
        var type = link is null ? '0' : '2';
        var tar = Concat(RawTar.Pax(RawTar.Text(key, pax)), RawTar.Header(name, type, 0, link), RawTar.End());

        var error = Assert.Throws<TarFormatException>(() => ReadAll(tar));

        Assert.Contains("readers that ignore pax would see another", error.Message, StringComparison.Ordinal);
        Assert.True(error.Tampered);
    }

    [Fact]
    public void A_pax_name_cut_to_a_full_ustar_field_is_what_writers_put_there_and_is_accepted()
    {
        var name = new string('n', 150);
        var tar = Concat(RawTar.Pax(RawTar.Text("path", name)), RawTar.Header(name[..100], '0', 0), RawTar.End());
        Assert.Equal(name, ReadAll(tar).Single().Name);

        // Cut shorter than the field: no writer does that, so it is a disagreement.
        var shorter = Concat(RawTar.Pax(RawTar.Text("path", name)), RawTar.Header(name[..99], '0', 0), RawTar.End());
        Assert.Throws<TarFormatException>(() => ReadAll(shorter));
    }

    [Fact]
    public void A_name_that_is_not_utf8_is_refused_in_the_ustar_field_and_in_pax()
    {
        byte[] latin1 = [.. "caf"u8, 0xE9, .. ".txt"u8];
        var ustar = Concat(RawTar.Header(latin1, '0', 0), RawTar.End());
        var error = Assert.Throws<TarFormatException>(() => ReadAll(ustar));
        Assert.Contains("not valid UTF-8 ('caf\\xE9.txt')", error.Message, StringComparison.Ordinal);

        var pax = Concat(RawTar.Pax(("path", latin1)), RawTar.Header(latin1, '0', 0), RawTar.End());
        Assert.Contains("not valid UTF-8", Assert.Throws<TarFormatException>(() => ReadAll(pax)).Message, StringComparison.Ordinal);
    }

    /// <summary>A 100 MiB pax record is refused from its header: the reader takes two blocks, never the record.</summary>
    [Fact]
    public void A_huge_pax_header_is_refused_before_its_records_are_read()
    {
        const long Huge = 100L << 20;
        var input = new EndlessTar(RawTar.Header("./PaxHeaders/x", 'x', Huge));
        using var reader = new StrictTarReader(input);

        var error = Assert.Throws<TarFormatException>(() => reader.MoveNext());

        Assert.Contains($"pax header of {Huge} bytes", error.Message, StringComparison.Ordinal);
        Assert.True(input.Produced <= 64 << 10, $"the reader took {input.Produced} bytes of a refused 100 MiB pax header");
        Assert.Equal(RawTar.Block, reader.BytesConsumed);
    }

    [Theory]
    [InlineData("global", "pax global header")]
    [InlineData("gnu long name", "GNU long-name header")]
    [InlineData("duplicate key", "the keyword 'path' twice")]
    [InlineData("bad length", "length does not match")]
    [InlineData("sparse", "sparse or multi-volume")]
    [InlineData("binary charset", "hdrcharset")]
    [InlineData("bad mtime", "mtime '12x' that is not a number")]
    [InlineData("directory with data", "declares 5 bytes of data")]
    [InlineData("file named like a directory", "ends in '/' but is not a directory")]
    public void Headers_that_other_readers_read_differently_are_refused(string what, string expected)
    {
        byte[] member = what switch
        {
            "global" => Concat(RawTar.Header("g", 'g', 0), RawTar.Header("a", '0', 0)),
            "gnu long name" => Concat(RawTar.Header("././@LongLink", 'L', 5), RawTar.Padded(Hello), RawTar.Header("a", '0', 0)),
            "duplicate key" => Concat(RawTar.Pax(RawTar.Text("path", "a"), RawTar.Text("path", "a")), RawTar.Header("a", '0', 0)),
            "bad length" => Concat(RawTar.Header("./PaxHeaders/x", 'x', 12), RawTar.Padded("99 path=a\n\n"u8.ToArray()), RawTar.Header("a", '0', 0)),
            "sparse" => Concat(RawTar.Pax(RawTar.Text("GNU.sparse.major", "1")), RawTar.Header("a", '0', 0)),
            "binary charset" => Concat(RawTar.Pax(RawTar.Text("hdrcharset", "BINARY")), RawTar.Header("a", '0', 0)),
            "bad mtime" => Concat(RawTar.Pax(RawTar.Text("mtime", "12x")), RawTar.Header("a", '0', 0)),
            "directory with data" => Concat(RawTar.Header("d/", '5', 5), RawTar.Padded(Hello)),
            _ => Concat(RawTar.Header("a/", '0', 0)),
        };

        var error = Assert.Throws<TarFormatException>(() => ReadAll(Concat(member, RawTar.End())));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zeros", 10240, true, null)]
    [InlineData("garbage", 0, false, "data after the tar's end-of-archive blocks")]
    [InlineData("no end blocks", -1024, false, "before tar's end-of-archive blocks")]
    [InlineData("one end block", -512, false, "before tar's end-of-archive blocks")]
    public void Only_zeros_may_follow_the_end_of_archive_blocks(string what, int change, bool accepted, string? expected)
    {
        var tar = Concat(RawTar.Header("a.txt", '0', 5), RawTar.Padded(Hello), RawTar.End());
        tar = change >= 0 ? [.. tar, .. new byte[change]] : tar[..^(-change)];
        if (what == "garbage")
        {
            tar = [.. tar, .. "not a tar\n"u8];
        }

        using var reader = new StrictTarReader(new MemoryStream(tar));
        Assert.True(reader.MoveNext());
        if (accepted)
        {
            reader.ReadTrailer();
            return;
        }

        Assert.Contains(expected!, Assert.Throws<TarFormatException>(reader.ReadTrailer).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_ends_early_is_truncation()
    {
        var tar = Concat(RawTar.Header("a.txt", '0', 5000), Hello);
        using var reader = new StrictTarReader(new MemoryStream(tar));
        Assert.True(reader.MoveNext());

        Assert.Throws<EndOfStreamException>(() => reader.Data.CopyTo(Stream.Null));
    }

    private static List<(string Name, string Data, string? Link)> ReadAll(byte[] tar)
    {
        var members = new List<(string, string, string?)>();
        using var reader = new StrictTarReader(new MemoryStream(tar));
        while (reader.MoveNext())
        {
            using var data = new MemoryStream();
            reader.Data.CopyTo(data);
            members.Add((reader.Name, Encoding.UTF8.GetString(data.ToArray()), reader.LinkName));
        }

        reader.ReadTrailer();
        return members;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>A header, then an endless run of 'A': what a reader that buffers whole pax headers would try to hold.</summary>
    private sealed class EndlessTar(byte[] header) : Stream
    {
        public long Produced { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Produced; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var span = buffer.AsSpan(offset, count);
            for (var i = 0; i < span.Length; i++, Produced++)
            {
                span[i] = Produced < header.Length ? header[Produced] : (byte)'A';
            }

            return span.Length;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
