using Envship.Testing;

namespace Envship.Cli.Tests.Installer;

/// <summary>
/// A small x86-64 program standing in for the native envship where the test is about the sh header,
/// not about deploying: it writes the arguments it was given, one a line, to $ENVSHIP_FAKE_LOG. So a
/// test sees exactly what the header passed on, and whether the embedded program ran at all. With
/// $ENVSHIP_FAKE_WAIT set it then waits for a signal, as a long deploy would.
/// </summary>
internal static class FakeEnvship
{
    public const string LogVariable = "ENVSHIP_FAKE_LOG";

    private const string Source = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            FILE *log = fopen(getenv("ENVSHIP_FAKE_LOG"), "w");
            if (log == NULL) return 99;
            for (int i = 1; i < argc; i++) fprintf(log, "%s\n", argv[i]);
            if (fclose(log) != 0) return 98;
            if (getenv("ENVSHIP_FAKE_WAIT") != NULL) pause();
            return 0;
        }
        """;

    private static readonly Lazy<string> _binary = new(Compile);

    public static string Binary => _binary.Value;

    private static string Compile()
    {
        var directory = Directory.CreateTempSubdirectory("envship-fake-").FullName;
        var source = Path.Combine(directory, "fake.c");
        File.WriteAllText(source, Source);
        var binary = Path.Combine(directory, "envship");
        ProcessRunner.RunChecked("gcc", ["-O1", "-o", binary, source]);
        return binary;
    }
}
