using System.Globalization;
using Envship.Core.Relocation;

namespace Envship.Core.Conda;

/// <summary>
/// What an environment's conda packages need of the NVIDIA driver, read from conda-meta alone.
/// The driver is conda's <c>__cuda</c> virtual package, whose version is the newest CUDA the driver supports.
/// </summary>
/// <param name="MinDriver">
/// The lowest CUDA version the driver must support ("12", "11.2.2"): the highest lower bound any package states.
/// Null when a package needs a driver but names no version (a bare <c>__cuda</c> in its depends).
/// </param>
/// <param name="RequiredBy">The package and the spec that set <paramref name="MinDriver"/>, as messages name it.</param>
/// <param name="Toolkit">The CUDA release the packages were built for (major.minor), from cuda-version, cudatoolkit or cuda-cudart; null when none is installed.</param>
public sealed record CudaRequirement(string? MinDriver, string RequiredBy, string? Toolkit)
{
    public const string VirtualPackage = "__cuda";

    /// <summary>Packages whose version is the CUDA release, most telling first: conda-forge's pin, then the runtimes.</summary>
    private static readonly string[] _toolkitPackages = ["cuda-version", "cudatoolkit", "cuda-cudart"];
    private static readonly System.Buffers.SearchValues<char> _nameEnd = System.Buffers.SearchValues.Create(" <>=!~[");
    private static readonly System.Buffers.SearchValues<char> _bracketValueEnd = System.Buffers.SearchValues.Create("'\"]");

    /// <summary>
    /// The environment's requirement, or null when no package mentions CUDA. Sources, highest lower bound winning
    /// (an explicit <c>__cuda</c> spec before a bound derived from a toolkit version when they tie):
    /// <list type="bullet">
    /// <item><c>__cuda</c> in a record's <c>depends</c>: conda would not install the package without such a driver;</item>
    /// <item><c>__cuda</c> in a record's <c>constrains</c> (conda-forge's <c>cuda-version X.Y</c> states <c>__cuda &gt;=X</c>);</item>
    /// <item>the version of cuda-version, cudatoolkit or cuda-cudart, for records that state no <c>__cuda</c> (the defaults channel):
    /// from CUDA 11 on, a driver for the same major version runs every minor release (NVIDIA's minor version compatibility),
    /// so 11.8 needs a driver for 11; before 11 the driver needs the same major.minor.</item>
    /// </list>
    /// </summary>
    public static CudaRequirement? Of(IEnumerable<CondaPackageRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var explicitBounds = new List<(string? Bound, string RequiredBy)>();
        var derived = new List<(string? Bound, string RequiredBy)>();
        string? toolkit = null;
        var toolkitRank = int.MaxValue;
        foreach (var record in records)
        {
            var package = $"{record.Name} {record.Version}";
            foreach (var spec in record.Depends.Where(IsCudaSpec))
            {
                explicitBounds.Add((LowerBound(spec), $"{package} depends on '{spec.Trim()}'"));
            }

            foreach (var spec in record.Constrains.Where(IsCudaSpec))
            {
                // A constraint without a lower bound asks nothing of a driver, and nothing at all when there is none.
                if (LowerBound(spec) is { } bound)
                {
                    explicitBounds.Add((bound, $"{package} constrains '{spec.Trim()}'"));
                }
            }

            var rank = Array.IndexOf(_toolkitPackages, record.Name);
            if (rank >= 0 && Numbers(record.Version) is [var major, var minor, ..])
            {
                var floor = major >= 11 ? Invariant($"{major}") : Invariant($"{major}.{minor}");
                derived.Add((floor, $"{package} (CUDA {major}.{minor} runs on a driver for CUDA {floor} or newer)"));
                if (rank < toolkitRank)
                {
                    (toolkit, toolkitRank) = (Invariant($"{major}.{minor}"), rank);
                }
            }
        }

        (string? Bound, string RequiredBy)? best = null;
        foreach (var candidate in explicitBounds.Concat(derived))
        {
            if (best is null || Higher(candidate.Bound, best.Value.Bound))
            {
                best = candidate;
            }
        }

        return best is { } chosen ? new CudaRequirement(chosen.Bound, chosen.RequiredBy, toolkit) : null;
    }

    /// <summary>Whether a match spec names the <c>__cuda</c> virtual package.</summary>
    public static bool IsCudaSpec(string spec) => SpecName(spec) == VirtualPackage;

    /// <summary>
    /// The lowest version a match spec such as <c>__cuda &gt;=11.8</c>, <c>__cuda 12.*</c> or <c>__cuda &gt;=11.2,&lt;13|&gt;=13.1</c>
    /// accepts, as dotted numbers ("11.8"); null when it accepts any version (a bare name, <c>*</c>, only upper bounds).
    /// </summary>
    public static string? LowerBound(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var version = SpecVersion(spec);
        if (version.Length == 0)
        {
            return null;
        }

        string? lowest = null;
        foreach (var alternative in version.Split('|'))
        {
            string? highest = null;
            foreach (var part in alternative.Split(','))
            {
                if (PartLowerBound(part.Trim()) is { } bound && (highest is null || Compare(bound, highest) > 0))
                {
                    highest = bound;
                }
            }

            // One alternative without a lower bound lets every version through.
            if (highest is null)
            {
                return null;
            }

            lowest = lowest is null || Compare(highest, lowest) < 0 ? highest : lowest;
        }

        return lowest;
    }

    /// <summary>Compares dotted CUDA versions number by number, missing parts counting as 0 ("12" equals "12.0").</summary>
    public static int Compare(string left, string right) => GlibcVersions.Compare(left, right);

    private static bool Higher(string? candidate, string? current) =>
        candidate is not null && (current is null || Compare(candidate, current) > 0);

    private static string? PartLowerBound(string part)
    {
        if (part.StartsWith('<') || part.StartsWith("!=", StringComparison.Ordinal))
        {
            return null;
        }

        var digits = part.TrimStart('>', '=', '~', ' ');
        return Numbers(digits) is { Length: > 0 } numbers ? string.Join('.', numbers) : null;
    }

    /// <summary>The leading dotted numbers of a version ("12.0a0" gives 12.0, "12.4.*" gives 12.4); null when it starts otherwise.</summary>
    private static int[]? Numbers(string version)
    {
        var end = 0;
        while (end < version.Length && (char.IsAsciiDigit(version[end]) || version[end] == '.'))
        {
            end++;
        }

        var parts = version[..end].Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Length > 4)
        {
            return null;
        }

        var numbers = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return numbers;
    }

    private static string SpecName(string spec)
    {
        var text = spec.AsSpan().Trim();
        var end = text.IndexOfAny(_nameEnd);
        return (end < 0 ? text : text[..end]).ToString();
    }

    /// <summary>The version part of <c>NAME VERSION [BUILD]</c>, <c>NAME&gt;=VERSION</c> or <c>NAME[version='VERSION']</c>.</summary>
    private static string SpecVersion(string spec)
    {
        var text = spec.Trim();
        var rest = text[SpecName(text).Length..].TrimStart();
        if (rest.StartsWith('['))
        {
            var key = rest.IndexOf("version=", StringComparison.Ordinal);
            if (key < 0)
            {
                return "";
            }

            var value = rest[(key + "version=".Length)..].TrimStart('\'', '"');
            var close = value.AsSpan().IndexOfAny(_bracketValueEnd);
            return (close < 0 ? value : value[..close]).Replace(" ", "", StringComparison.Ordinal);
        }

        // Spaces inside the version ("__cuda >= 12") are allowed; a build string follows the last space.
        var parts = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length switch
        {
            0 => "",
            1 => parts[0],
            _ when parts[0] is ">=" or ">" or "<" or "<=" or "==" or "!=" or "~=" => parts[0] + parts[1],
            _ => parts[0],
        };
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
