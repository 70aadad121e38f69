namespace LocalTls.Cli;

internal static class LocalTlsCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => 0;
}
