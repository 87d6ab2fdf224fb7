using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using Envship.Core.Relocation;
using Envship.Testing;

namespace Envship.Core.Tests.Relocation;

public sealed class ShebangRewriterTests
{
    private const string Source = "/opt/env";

    // "#!" + prefix + "/bin/python" is exactly 127 bytes with a 114-byte prefix.
    private static readonly string _prefix114 = "/" + new string('d', 113);
    private static readonly string _prefix115 = "/" + new string('d', 114);
    private static readonly string _longPrefix = "/" + new string('l', 140);

    [Theory]
    [InlineData("#!/opt/env/bin/python\nprint(1)\n", "/opt/env/bin/python", "", 22)]
    [InlineData("#! /usr/bin/env  python3 -u \nx", "/usr/bin/env", "python3 -u", 29)]
    [InlineData("#!/bin/sh", "/bin/sh", "", 9)]
    [InlineData("#!/opt/env/bin/perl -w\r\nprint", "/opt/env/bin/perl", "-w", 24)]
    [InlineData("#!\t/bin/bash\t-e -x\n", "/bin/bash", "-e -x", 19)]
    public void TryParse_reads_interpreter_and_arguments(string data, string interpreter, string arguments, int lineLength)
    {
        Assert.True(ShebangRewriter.TryParse(Encoding.UTF8.GetBytes(data), out var shebang));
        Assert.Equal(new Shebang(interpreter, arguments, lineLength), shebang);
    }

    [Theory]
    [InlineData("")]
    [InlineData("#")]
    [InlineData("#!")]
    [InlineData("#!   \n/bin/sh")]
    [InlineData("echo hi\n")]
    [InlineData("\n#!/bin/sh\n")]
    [InlineData(" #!/bin/sh\n")]
    public void TryParse_rejects_data_without_a_shebang(string data)
    {
        Assert.False(ShebangRewriter.TryParse(Encoding.UTF8.GetBytes(data), out var shebang));
        Assert.Null(shebang);
    }

    public static TheoryData<string, string, string, string> RewriteCases => new()
    {
        // Short paths are rewritten in place.
        { "#!/opt/env/bin/python3.11\n", Source, "/srv/app", "#!/srv/app/bin/python3.11\n" },
        { "#!/opt/env/bin/perl -w\n", Source, "/srv/app", "#!/srv/app/bin/perl -w\n" },
        { "#!/opt/env/bin/python -E -s\n", "/opt/env/", "/srv/app/", "#!/srv/app/bin/python -E -s\n" },
        { "#!/opt/env\n", Source, "/srv/app", "#!/srv/app\n" },
        { "#!/opt/env/bin/python\n", Source, _prefix114, $"#!{_prefix114}/bin/python\n" },

        // Interpreters outside the prefix keep their path; prefix references in arguments still move.
        { "#!/usr/bin/env python\n", Source, "/srv/app", "#!/usr/bin/env python\n" },
        { "#!/usr/bin/env -S /opt/env/bin/python -u\n", Source, "/srv/app", "#!/usr/bin/env -S /srv/app/bin/python -u\n" },
        { "#!/usr/bin/env -S /opt/env/bin/python -u\n", "/opt/env/", "/srv/app", "#!/usr/bin/env -S /srv/app/bin/python -u\n" },
        { "#!/opt/env2/bin/python\n", Source, "/srv/app", "#!/opt/env2/bin/python\n" },
        { "#!/opt/environment/bin/perl\n", Source, _longPrefix, "#!/opt/environment/bin/perl\n" },

        // Too long: python gets the /bin/sh trampoline.
        { "#!/opt/env/bin/python\n", Source, _prefix115, Trampoline($"{_prefix115}/bin/python", "") },
        { "#!/opt/env/bin/python3\n", Source, _longPrefix, Trampoline($"{_longPrefix}/bin/python3", "") },
        { "#!/opt/env/bin/python3.11 -E -s\n", Source, _longPrefix, Trampoline($"{_longPrefix}/bin/python3.11", "-E -s ") },
        { "#!/opt/env/bin/pythonw\n", Source, _longPrefix, Trampoline($"{_longPrefix}/bin/pythonw", "") },

        // Whitespace in the interpreter path cannot be expressed in a shebang at all.
        { "#!/opt/env/bin/python\n", Source, "/srv/my app", Trampoline("/srv/my app/bin/python", "") },
        { "#!/opt/env/bin/python\n", Source, "/srv/a\"$`\\b c", Trampoline("/srv/a\\\"\\$\\`\\\\b c/bin/python", "") },

        // Anything else goes through /usr/bin/env.
        { "#!/opt/env/bin/perl\n", Source, _longPrefix, "#!/usr/bin/env perl\n" },
        { "#!/opt/env/bin/perl -w\n", Source, _longPrefix, "#!/usr/bin/env -S perl -w\n" },
        { "#!/opt/env/bin/bash\n", Source, "/srv/my app", "#!/usr/bin/env bash\n" },
        { "#!/opt/env/bin/python-config\n", Source, _longPrefix, "#!/usr/bin/env python-config\n" },
        { "#!/opt/env/bin/ipython\n", Source, _longPrefix, "#!/usr/bin/env ipython\n" },
    };

    [Theory]
    [MemberData(nameof(RewriteCases))]
    public void Rewrite_produces_the_expected_first_line(string line, string source, string destination, string expected)
    {
        Assert.True(ShebangRewriter.TryParse(Encoding.UTF8.GetBytes(line), out var shebang));

        var rewritten = ShebangRewriter.Rewrite(shebang, source, destination);

        Assert.Equal(expected, Encoding.UTF8.GetString(rewritten));
        Assert.True(Array.IndexOf(rewritten, (byte)'\n') <= ShebangRewriter.MaxShebangLength);
    }

    [Theory]
    [UnsupportedOSPlatform("windows")]
    [InlineData("/srv/my app", "")]
    [InlineData("/srv/q\"uote $HOME `x` back\\slash", "-u")]
    public void Trampoline_executes_the_interpreter_with_script_and_arguments(string destinationSuffix, string arguments)
    {
        var root = Directory.CreateTempSubdirectory("envship-shebang-");
        try
        {
            var prefix = root.FullName + destinationSuffix;
            var interpreter = Path.Combine(prefix, "bin", "python");
            Directory.CreateDirectory(Path.GetDirectoryName(interpreter)!);
            File.WriteAllText(interpreter, "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n");
            File.SetUnixFileMode(interpreter, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var line = arguments.Length == 0 ? "#!/opt/env/bin/python\n" : $"#!/opt/env/bin/python {arguments}\n";
            Assert.True(ShebangRewriter.TryParse(Encoding.UTF8.GetBytes(line), out var shebang));
            var script = Path.Combine(root.FullName, "script");
            File.WriteAllBytes(script, [.. ShebangRewriter.Rewrite(shebang, Source, prefix), .. "print('body')\n"u8]);
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var output = "";
            for (var attempt = 0; attempt < 5; attempt++)
            {
                using var process = FreshExecutable.Start(new ProcessStartInfo(script, ["one", "two words"]) { RedirectStandardOutput = true, RedirectStandardError = true });
                output = process.StandardOutput.ReadToEnd();
                var error = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (!FreshExecutable.HitTextFileBusy(error))
                {
                    break;
                }
            }

            var expectedArgs = arguments.Length == 0 ? "" : $"[{arguments}]";
            Assert.Equal($"{expectedArgs}[{script}][one][two words]", output);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static string Trampoline(string escapedInterpreter, string argumentsWithSpace) =>
        $"#!/bin/sh\n'''exec' \"{escapedInterpreter}\" {argumentsWithSpace}\"$0\" \"$@\"\n' '''\n";
}
