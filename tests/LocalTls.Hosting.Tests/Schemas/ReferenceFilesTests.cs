using LocalTls.Tests.TestSupport;
using LocalTls.Tests.TestSupport.Schemas;
using Xunit.Sdk;

namespace LocalTls.Tests.Schemas;

/// <summary>How the reference directory is found, and that its absence skips locally but fails under CI.</summary>
public class ReferenceFilesTests
{
    private static string MakeReference(string path)
    {
        var marker = Path.Combine(path, ReferenceFiles.MarkerFile);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllText(marker, "{}");
        return path;
    }

    [Fact]
    public void Environment_variable_wins()
    {
        using var temp = new TempDirectory();
        var reference = MakeReference(temp.Combine("elsewhere"));

        var location = ReferenceFiles.Locate(reference, temp.Combine("repo", "bin"));

        Assert.Equal(reference, location.Directory);
        Assert.Null(location.MissingReason);
    }

    [Fact]
    public void Environment_variable_pointing_at_the_wrong_place_is_reported()
    {
        using var temp = new TempDirectory();

        var location = ReferenceFiles.Locate(temp.Combine("nope"), temp.Path);

        Assert.Null(location.Directory);
        Assert.Contains(ReferenceFiles.EnvironmentVariable, location.MissingReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_variable_a_sibling_shared_reference_of_the_repository_is_found()
    {
        using var temp = new TempDirectory();
        var reference = MakeReference(temp.Combine("shared", "reference"));
        var bin = Directory.CreateDirectory(temp.Combine("LocalTls", "tests", "X", "bin", "Debug", "net10.0")).FullName;
        File.WriteAllText(temp.Combine("LocalTls", "LocalTls.sln"), "");

        Assert.Equal(reference, ReferenceFiles.Locate(null, bin).Directory);
    }

    [Fact]
    public void The_search_stops_at_the_repository_root()
    {
        using var temp = new TempDirectory();
        MakeReference(temp.Combine("shared", "reference")); // beside "outer", not beside the repository
        var bin = Directory.CreateDirectory(temp.Combine("outer", "LocalTls", "bin")).FullName;
        File.WriteAllText(temp.Combine("outer", "LocalTls", "LocalTls.sln"), "");

        var location = ReferenceFiles.Locate(null, bin);

        Assert.Null(location.Directory);
        Assert.Contains("beside the repository", location.MissingReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_reference_skips_on_a_developer_machine()
    {
        // xunit's Record.Exception and Assert.Throws let a skip through on purpose, so catch it by hand.
        Exception? thrown = null;
        try
        {
            ReferenceFiles.Unavailable("gone", isCi: false);
        }
        catch (Exception e)
        {
            thrown = e;
        }

        var skip = Assert.IsType<SkipException>(thrown);
        Assert.Contains("gone", skip.Message, StringComparison.Ordinal);
        Assert.Contains(ReferenceFiles.EnvironmentVariable, skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_reference_fails_under_CI()
    {
        var failure = Assert.Throws<FailException>(() => ReferenceFiles.Unavailable("gone", isCi: true));
        Assert.Contains(ReferenceFiles.EnvironmentVariable, failure.Message, StringComparison.Ordinal);
        Assert.Contains("CI=true", failure.Message, StringComparison.Ordinal);
    }
}
