using LocalTls.StepCa;

namespace LocalTls.Tests.StepCa;

/// <summary>Finds the real step-ca for tests: LOCALTLS_STEP_CA, PATH, then the repository's .tools/bin/step-ca. Fails the test when none exists.</summary>
internal static class StepCaBinary
{
    private static readonly Lazy<string?> Found = new(Find);

    public static string Path => Found.Value ?? throw new Xunit.Sdk.XunitException(
        "These tests run the real step-ca and none was found (LOCALTLS_STEP_CA unset, no step-ca on PATH, no .tools/bin/step-ca in the repository). " +
        "Run eng/build-step-ca.sh from the repository root (it builds step-ca 0.19.0 into .tools/bin/step-ca), or set LOCALTLS_STEP_CA to a step-ca binary.");

    private static string? Find()
    {
        try
        {
            return StepCaProcess.LocateExecutable();
        }
        catch (StepCaException) when (Environment.GetEnvironmentVariable(StepCaProcess.ExecutableEnvironmentVariable) is null or "")
        {
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "LocalTls.sln")))
            {
                var candidate = System.IO.Path.Combine(dir.FullName, ".tools", "bin", OperatingSystem.IsWindows() ? "step-ca.exe" : "step-ca");
                return File.Exists(candidate) ? candidate : null;
            }
        }

        return null;
    }
}
