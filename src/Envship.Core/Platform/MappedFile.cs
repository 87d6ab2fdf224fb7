using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace Envship.Core.Platform;

/// <summary>Reads a whole file as one span.</summary>
internal delegate T SpanReader<out T>(ReadOnlySpan<byte> bytes);

/// <summary>
/// A whole file as a span without copying it onto the heap: a 200 MB library searched for references
/// costs page cache, which the kernel can drop, not 200 MB of the process's memory.
/// </summary>
internal static class MappedFile
{
    /// <summary>Calls <paramref name="read"/> with the first <paramref name="length"/> bytes of the open file (at most 2 GiB).</summary>
    public static unsafe T Read<T>(SafeFileHandle handle, long length, SpanReader<T> read)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, int.MaxValue);
        if (length <= 0)
        {
            return read([]);
        }

        using var map = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        try
        {
            return read(new ReadOnlySpan<byte>(start + view.PointerOffset, (int)length));
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>A seekable stream's whole content: mapped when it is a file, copied otherwise.</summary>
    public static T Read<T>(Stream content, SpanReader<T> read)
    {
        if (content is FileStream file)
        {
            return Read(file.SafeFileHandle, file.Length, read);
        }

        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)content.Length));
        content.Position = 0;
        content.ReadExactly(bytes);
        return read(bytes);
    }
}
