namespace Envship.Core.Relocation;

/// <summary>
/// Whether a rewrite leaves a shared tail (found by <see cref="InteriorReferenceFinder"/>) reading what it read
/// before: the same bytes at the same offset up to its NUL. One rule for planning and for patching, so a
/// deploy does what <c>--strict</c> and the warnings predicted.
/// </summary>
public static class SharedTailRule
{
    /// <summary>
    /// For a C string rewritten by <see cref="CStringRelocator"/>, from the manifest alone. A reference to the
    /// terminator or the padding reads "" and keeps doing so while the new string ends before it; a reference
    /// to text keeps its bytes only when it lies after the one occurrence and the length does not change.
    /// </summary>
    /// <param name="tailIndex">Offset of the referenced byte from the segment's start.</param>
    public static bool CStringKeeps(int stringLength, int occurrences, int sourceLength, int destinationLength, long tailIndex)
    {
        var newLength = stringLength + ((long)occurrences * (destinationLength - sourceLength));
        if (tailIndex >= stringLength)
        {
            return tailIndex >= newLength;
        }

        return destinationLength == sourceLength && occurrences == 1 && tailIndex >= sourceLength;
    }

    /// <summary>For a rewrite whose old and new bytes are both known (a run path): the tail's bytes up to its NUL are unchanged.</summary>
    public static bool BytesKeep(ReadOnlySpan<byte> oldRegion, ReadOnlySpan<byte> newRegion, int tailIndex)
    {
        if (tailIndex < 0 || tailIndex >= oldRegion.Length || newRegion.Length != oldRegion.Length)
        {
            return false;
        }

        var tail = oldRegion[tailIndex..];
        var end = tail.IndexOf((byte)0);
        var length = end < 0 ? tail.Length : end + 1;
        return tail[..length].SequenceEqual(newRegion.Slice(tailIndex, length));
    }
}
