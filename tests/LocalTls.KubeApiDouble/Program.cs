namespace LocalTls.KubeApiDouble;

internal static class Program
{
    public static int Main(string[] args) => 0;
}
