#pragma warning disable
namespace Envship.Core.Relocation;
public static class TextRelocator { public static byte[] Replace(ReadOnlySpan<byte> input, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to) => throw null!; public static long Copy(Stream input, Stream output, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, int bufferSize = 1 << 16) => throw null!; }
public sealed record Shebang(string Interpreter, string Arguments, int LineLength);
public static class ShebangRewriter { public const int MaxShebangLength = 127; public static bool TryParse(ReadOnlySpan<byte> data, out Shebang shebang) => throw null!; public static byte[] Rewrite(Shebang shebang, string sourcePrefix, string destinationPrefix) => throw null!; }
public readonly record struct CStringResult(bool Fits, int Occurrences, int NewStringLength, int MaxDestinationLength);
public static class CStringRelocator { public static int MeasureRegion(ReadOnlySpan<byte> fromHit, int extraPadding) => throw null!; public static CStringResult Relocate(ReadOnlySpan<byte> region, ReadOnlySpan<byte> from, ReadOnlySpan<byte> to, Span<byte> destination) => throw null!; }
public enum ElfRunpathTag { RPath, RunPath }
public sealed record ElfRunpathEntry(ElfRunpathTag Tag, long FileOffset, string Value, int RegionLength);
public sealed class ElfDynamicInfo { public IReadOnlyList<ElfRunpathEntry> Runpaths { get; } = []; }
public static class ElfReader { public static bool IsElf(ReadOnlySpan<byte> header) => throw null!; public static ElfDynamicInfo? TryRead(Stream stream) => throw null!; }
public static class RunpathRewriter { public static string? Rewrite(string runpath, string sourcePrefix, string destinationPrefix, string elfDirectoryRelativeToPrefix, int maxLength, bool preferOrigin) => throw null!; }
