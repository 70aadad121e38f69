namespace LocalTls.Tests.TestSupport.Schemas;

/// <summary>Assertions over <see cref="SchemaError"/> lists that print every error when they fail.</summary>
public static class SchemaAssert
{
    /// <summary>Fails unless there are no errors.</summary>
    public static void NoErrors(IReadOnlyList<SchemaError> errors)
    {
        if (errors.Count > 0)
        {
            Assert.Fail($"expected no schema errors, got {errors.Count}:\n  " + string.Join("\n  ", errors));
        }
    }

    /// <summary>Fails unless some error is at exactly <paramref name="pointer"/> (and mentions <paramref name="messageContains"/>).</summary>
    public static SchemaError HasError(IReadOnlyList<SchemaError> errors, string pointer, string? messageContains = null)
    {
        var match = errors.FirstOrDefault(e => e.Pointer == pointer
            && (messageContains is null || e.Message.Contains(messageContains, StringComparison.Ordinal)));
        if (match is null)
        {
            var wanted = messageContains is null ? pointer : $"{pointer} mentioning '{messageContains}'";
            Assert.Fail($"expected a schema error at {wanted}, got {errors.Count}:\n  " +
                (errors.Count == 0 ? "(none)" : string.Join("\n  ", errors)));
        }

        return match!;
    }
}
