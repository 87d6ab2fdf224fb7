using Envship.Core.Archive;
using Envship.Core.Deploy;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Core.Tests.Archive;
using Envship.Core.Tests.Manifests;

namespace Envship.Core.Tests.Deploy;

public sealed class RelocationPlannerTests
{
    // Source prefix "/opt/env" is 8 bytes; the string "/opt/env/share" is 14 bytes.
    [Theory]
    [InlineData(15, 1, "/short", true)]
    [InlineData(15, 1, "/opt/env", true)]
    [InlineData(15, 1, "/opt/env2", false)]
    [InlineData(25, 1, "/a/longer/dest", true)]
    [InlineData(25, 1, "/a/longer/dest/x/yz", false)]
    [InlineData(25, 2, "/opt/env/abcde", false)]
    public void Decides_fit_from_the_manifest_alone(int room, int occurrences, string destination, bool fits)
    {
        var manifest = ManifestValidatorTests.With(BinaryFile("bin/prog", new BinarySegment { Offset = 10, Length = room, StringLength = 14, Occurrences = occurrences }));

        var unfit = RelocationPlanner.FindUnfit(manifest, destination);

        Assert.Equal(fits, unfit.Count == 0);
    }

    [Fact]
    public void Reports_the_longest_destination_that_fits()
    {
        var manifest = ManifestValidatorTests.With(BinaryFile("bin/prog", new BinarySegment { Offset = 0, Length = 25, StringLength = 14, Occurrences = 1 }));

        var warning = Assert.Single(RelocationPlanner.Summarize(RelocationPlanner.FindUnfit(manifest, "/a/much/longer/destination")));

        Assert.Equal("bin/prog", warning.Path);
        Assert.Equal(8 + 10, warning.LongestDestinationThatFits);
    }

    [Fact]
    public void Runpath_that_cannot_hold_the_absolute_path_falls_back_to_origin()
    {
        var segment = new BinarySegment { Offset = 0, Length = 15, StringLength = 12, Occurrences = 1, Kind = SegmentKind.ElfRunpath, Value = "/opt/env/lib" };
        var manifest = ManifestValidatorTests.With(BinaryFile("bin/prog", segment));

        Assert.Empty(RelocationPlanner.FindUnfit(manifest, "/a/much/longer/destination"));
    }

    [Fact]
    public void Runpath_too_short_even_for_origin_is_unfit()
    {
        var segment = new BinarySegment { Offset = 0, Length = 13, StringLength = 12, Occurrences = 1, Kind = SegmentKind.ElfRunpath, Value = "/opt/env/lib" };
        var manifest = ManifestValidatorTests.With(BinaryFile("bin/prog", segment));

        var unfit = Assert.Single(RelocationPlanner.FindUnfit(manifest, "/a/much/longer/destination"));
        Assert.Equal(SegmentKind.ElfRunpath, unfit.Kind);
    }

    [Fact]
    public void Same_path_needs_nothing()
    {
        var manifest = ManifestValidatorTests.With(BinaryFile("bin/prog", new BinarySegment { Offset = 0, Length = 9, StringLength = 8, Occurrences = 1 }));

        Assert.Empty(RelocationPlanner.FindUnfit(manifest, "/opt/env"));
    }

    private static ManifestEntry BinaryFile(string path, BinarySegment segment) => new()
    {
        Path = path,
        Type = EntryType.File,
        Mode = 493,
        MtimeNs = 0,
        Relocation = new FileRelocation { Kind = RelocationKind.Binary, Occurrences = segment.Occurrences, Segments = [segment] },
    };
}
