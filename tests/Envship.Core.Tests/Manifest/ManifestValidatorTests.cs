using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Tests.Manifests;

public sealed class ManifestValidatorTests
{
    public static TheoryData<string, ManifestEntry[]> Unsafe => new()
    {
        { "parent", [File("../etc/passwd")] },
        { "absolute", [File("/etc/passwd")] },
        { "dot", [File("a/./b")] },
        { "duplicate", [File("a"), File("a")] },
        { "below a symlink", [new ManifestEntry { Path = "lib", Type = EntryType.Symlink, Mode = 511, MtimeNs = 0, Target = "/etc" }, File("lib/passwd")] },
        { "hard link outside", [new ManifestEntry { Path = "x", Type = EntryType.Hardlink, Mode = 420, MtimeNs = 0, Target = "/etc/shadow" }] },
        { "hard link forward", [new ManifestEntry { Path = "x", Type = EntryType.Hardlink, Mode = 420, MtimeNs = 0, Target = "y" }, File("y")] },
        { "symlink declared after an entry below it", [File("lib/passwd"), new ManifestEntry { Path = "lib", Type = EntryType.Symlink, Mode = 511, MtimeNs = 0, Target = "/etc" }] },
        { "file declared after an entry below it", [File("a/b"), File("a")] },
        { "negative size", [File("a") with { Size = -1 }] },
        { "malformed sha256", [File("a") with { Sha256 = "not-a-hash" }] },
        { "uppercase sha256", [File("a") with { Sha256 = "E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" }] },
        { "sha256 with a non-hex digit", [File("a") with { Sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g" }] },
        { "summary total lies", [File("a") with { Size = 5 }] },
        { "segment past the end", [File("a") with { Relocation = new FileRelocation { Kind = RelocationKind.Binary, Segments = [new BinarySegment { Offset = 10, Length = 4, StringLength = 2, Occurrences = 1 }] } }] },
        { "symlink target with NUL", [new ManifestEntry { Path = "l", Type = EntryType.Symlink, Mode = 511, MtimeNs = 0, Target = "a\0b" }] },
        { "null entry", [null!] },
    };

    [Theory]
    [InlineData(-1, "-1")]
    [InlineData(0x1000, "010000")]
    [InlineData(int.MaxValue, "017777777777")]
    public void Refuses_a_mode_outside_0_to_07777_and_names_the_entry(int mode, string shown)
    {
        var error = Assert.Throws<EnvshipException>(() => ManifestValidator.Validate(With(Directory("lib"), File("lib/x") with { Mode = mode }), "modes.tar.zst"));

        Assert.Equal(ExitCode.DamagedArchive, error.Code);
        Assert.Contains($"entry 'lib/x' has mode {shown}, outside 0 to 07777", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_root_mode_outside_0_to_07777()
    {
        var error = Assert.Throws<EnvshipException>(() => ManifestValidator.Validate(With(File("x")) with { Root = new ManifestRoot(-1, 0) }, "root.tar.zst"));

        Assert.Contains("the prefix directory (root) has mode -1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_every_mode_from_0_to_07777()
    {
        ManifestValidator.Validate(With(File("a") with { Mode = 0 }, File("b") with { Mode = 0xFFF }), "edges.tar.zst");
    }

    [Theory]
    [MemberData(nameof(Unsafe))]
    public void Refuses_entries_that_could_escape_the_destination(string why, ManifestEntry[] entries)
    {
        var error = Assert.Throws<EnvshipException>(() => ManifestValidator.Validate(With(entries), "test.tar.zst"));

        Assert.Equal(ExitCode.DamagedArchive, error.Code);
        Assert.Contains("test.tar.zst", error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void Accepts_a_plain_tree_with_links()
    {
        ManifestValidator.Validate(
            With(
                new ManifestEntry { Path = "lib", Type = EntryType.Directory, Mode = 493, MtimeNs = 0 },
                File("lib/a.so"),
                new ManifestEntry { Path = "lib/b.so", Type = EntryType.Hardlink, Mode = 420, MtimeNs = 0, Target = "lib/a.so" },
                new ManifestEntry { Path = "lib/c.so", Type = EntryType.Symlink, Mode = 511, MtimeNs = 0, Target = "a.so" }),
            "ok.tar.zst");
    }

    /// <summary>Parents already found clean through a sibling must not hide a file deeper down, and the nearest bad parent is named.</summary>
    [Theory]
    [InlineData("a/b/c/d", "a/b/c", "file")]
    [InlineData("a/b/c/d/e", "a/b/c", "file")]
    [InlineData("a/l/x", "a/l", "symlink")]
    public void Names_the_nearest_parent_that_is_not_a_directory(string path, string parent, string type)
    {
        var entries = new List<ManifestEntry>
        {
            Directory("a"),
            Directory("a/b"),
            File("a/b/x"),
            File("a/b/c"),
            new() { Path = "a/l", Type = EntryType.Symlink, Mode = 511, MtimeNs = 0, Target = "b" },
            File("a/b/y"),
            File(path),
        };

        var error = Assert.Throws<EnvshipException>(() => ManifestValidator.Validate(With([.. entries]), "test.tar.zst"));

        Assert.Contains($"entry '{path}' lies below '{parent}', which is a {type}, not a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_deep_trees_whose_parents_are_shared()
    {
        ManifestValidator.Validate(With(Directory("a"), Directory("a/b"), Directory("a/b/c"), File("a/b/c/d"), File("a/b/e"), File("a/b/c/f"), File("a/g"), File("h")), "ok.tar.zst");
    }

    /// <summary>Issue 12, item 3: sizes that sum past 2^63 are a refusal (exit 6), not an OverflowException (exit 1).</summary>
    [Theory]
    [InlineData(long.MaxValue / 2, long.MaxValue / 2, 2L, "more than any filesystem holds")]
    [InlineData(1L << 59, 1L << 59, 1L << 59, "add up to more than")]
    [InlineData(long.MaxValue, 0L, 0L, "more than any filesystem holds")]
    public void Sizes_whose_sum_would_overflow_are_refused_as_damage(long first, long second, long third, string expected)
    {
        var entries = new[] { File("a") with { Size = first }, File("b") with { Size = second }, File("c") with { Size = third } };
        var manifest = With(entries) with { Summary = new ManifestSummary { TotalBytes = unchecked(first + second + third) } };

        var error = Assert.Throws<EnvshipException>(() => ManifestValidator.Validate(manifest, "test.tar.zst"));

        Assert.Equal(ExitCode.DamagedArchive, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_expansion_budget_saturates_instead_of_overflowing()
    {
        var manifest = With(File("a") with { Size = long.MaxValue }, File("b") with { Size = long.MaxValue });

        Assert.Equal(long.MaxValue, ExpansionLimitStream.BudgetFor(manifest, 1 << 20));
    }

    [Theory]
    [InlineData(10, "x", false)]
    [InlineData(18, "x", false)]
    [InlineData(12, null, false)]
    [InlineData(12, "x", true)]
    [InlineData(17, "", true)]
    public void A_shared_tail_must_lie_inside_its_string_past_the_first_byte(long offset, string? text, bool accepted)
    {
        var segment = new BinarySegment { Offset = 10, Length = 8, StringLength = 6, Occurrences = 1, SharedTails = [new SharedTail { Offset = offset, Text = text! }] };
        var entry = File("a") with { Size = 64, Relocation = new FileRelocation { Kind = RelocationKind.Binary, Segments = [segment] } };
        var manifest = With(entry) with { Summary = new ManifestSummary { Files = 1, TotalBytes = 64 } };

        var error = Record.Exception(() => ManifestValidator.Validate(manifest, "test.tar.zst"));

        Assert.Equal(accepted, error is null);
        Assert.True(accepted || error is EnvshipException { Code: ExitCode.DamagedArchive });
    }

    internal static Manifest With(params ManifestEntry[] entries) => new()
    {
        EnvshipVersion = "test",
        SourcePrefix = "/opt/env",
        Platform = new ManifestPlatform("linux-64", "linux", "x86_64"),
        Created = DateTimeOffset.UnixEpoch,
        Root = new ManifestRoot(493, 0),
        Environments = [],
        Summary = new ManifestSummary(),
        Entries = entries,
    };

    private static ManifestEntry Directory(string path) => new() { Path = path, Type = EntryType.Directory, Mode = 493, MtimeNs = 0 };

    private static ManifestEntry File(string path) => new() { Path = path, Type = EntryType.File, Mode = 420, MtimeNs = 0, Size = 0, Sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" };
}
