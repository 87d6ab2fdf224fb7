using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;
using Envship.Testing;

namespace Envship.Cli.Tests.Fixtures;

/// <summary>
/// A few dozen files built by hand in milliseconds: text that names the prefix, a shebang script,
/// symlinks (one leaving the prefix) and a hard link, packed as tar, tar.zst and tar.gz. Hostile and
/// fuzzed archives start from these, so thousands of deploys stay cheap.
/// </summary>
public sealed class TinyEnvironment : IDisposable
{
    public TinyEnvironment()
    {
        Work = new TempDirectory("envship-tiny-");
        Prefix = Work.Combine("src", "tiny-env");
        Directory.CreateDirectory(System.IO.Path.Combine(Prefix, "conda-meta"));
        File.WriteAllText(System.IO.Path.Combine(Prefix, "conda-meta", "history"), "");
        Write("bin/tool", $"#!{Prefix}/bin/python3\nprint('tool')\n", 0b111_101_101);
        Write("lib/config.txt", $"prefix={Prefix}\nlibs={Prefix}/lib\n");
        var random = new Random(1234);
        for (var i = 1; i <= 30; i++)
        {
            var bytes = new byte[i * 97];
            random.NextBytes(bytes);
            Write($"share/doc/f{i:00}.txt", Convert.ToBase64String(bytes));
        }

        File.CreateSymbolicLink(System.IO.Path.Combine(Prefix, "lib", "link.txt"), "config.txt");
        File.CreateSymbolicLink(System.IO.Path.Combine(Prefix, "lib", "usrlib"), "/usr/lib");
        Core.Platform.UnixFileSystem.HardLink(System.IO.Path.Combine(Prefix, "share/doc/f01.txt"), System.IO.Path.Combine(Prefix, "share/doc/hard.txt"));

        Tar = Pack("tiny.tar", "tar");
        TarZst = Pack("tiny.tar.zst", "tar.zst");
        TarGz = Pack("tiny.tar.gz", "tar.gz");
    }

    public TempDirectory Work { get; }
    public string Prefix { get; }
    public string Tar { get; }
    public string TarZst { get; }
    public string TarGz { get; }

    public string Archive(ArchiveFormat format) => format switch
    {
        ArchiveFormat.TarZst => TarZst,
        ArchiveFormat.TarGz => TarGz,
        _ => Tar,
    };

    public void Dispose() => Work.Dispose();

    private void Write(string relative, string content, int mode = 0b110_100_100)
    {
        var full = System.IO.Path.Combine(Prefix, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        File.SetUnixFileMode(full, (UnixFileMode)mode);
    }

    private string Pack(string name, string format)
    {
        var archive = Work.Combine(name);
        CliRunner.RunOk("pack", "-p", Prefix, "-o", archive, "--format", format, "-q");
        return archive;
    }
}
