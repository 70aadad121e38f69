namespace LocalTls.Tests.TestSupport;

/// <summary>Paths in the repository the tests were built from.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "LocalTls.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No LocalTls.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}
