using System.Runtime.InteropServices;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Archive.Compression;

/// <summary>
/// zlib as the .NET runtime ships it (System.IO.Compression.Native, linked into a native build).
/// GZipStream hides how many input bytes a gzip member used, so it cannot tell a missing trailer or
/// bytes after the last member from a clean end; inflate itself can.
/// </summary>
internal static unsafe partial class RuntimeZlib
{
    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int BufferError = -5;

    /// <summary>zlib's windowBits for a gzip wrapper (15 + 16): header, CRC-32 and size checked by inflate.</summary>
    public const int GzipWindowBits = 31;

    private const string Library = "libSystem.IO.Compression.Native";

    [StructLayout(LayoutKind.Sequential)]
    public struct ZStream
    {
        public nint NextIn;
        public nint NextOut;
        public nint Message;
        public nint InternalState;
        public uint AvailableIn;
        public uint AvailableOut;
    }

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateInit2_")]
    public static partial int InflateInit(ZStream* stream, int windowBits);

    [LibraryImport(Library, EntryPoint = "CompressionNative_Inflate")]
    public static partial int Inflate(ZStream* stream, int flush);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateEnd")]
    public static partial int InflateEnd(ZStream* stream);
}
