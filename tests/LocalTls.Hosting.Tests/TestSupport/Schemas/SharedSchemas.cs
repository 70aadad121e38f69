using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.Tests.TestSupport.Schemas;

/// <summary>The tests' way into <see cref="KubernetesSchemas"/>: one shared load, and skip-or-fail when the reference is missing.</summary>
public static class SharedSchemas
{
    extension(KubernetesSchemas)
    {
        /// <summary>
        /// The schemas from <see cref="ReferenceFiles.Require"/>, loaded on first use and shared by every test in the process.
        /// Skips the calling test (fails it under CI) when the reference files are missing.
        /// </summary>
        public static KubernetesSchemas Shared =>
            // Asked every time, so that each test gets its own skip or failure rather than a cached exception.
            KubernetesSchemas.ForDirectory(ReferenceFiles.Require());
    }

    extension(KubernetesSchemas schemas)
    {
        /// <summary>Fails the test, listing every error, unless <paramref name="obj"/> is valid.</summary>
        public void AssertValid(object obj)
        {
            var errors = schemas.Validate(obj);
            if (errors.Count > 0)
            {
                Assert.Fail($"{errors.Count} schema error(s):\n  " + string.Join("\n  ", errors));
            }
        }
    }
}
