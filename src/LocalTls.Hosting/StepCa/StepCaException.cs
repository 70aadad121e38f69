namespace LocalTls.StepCa;

/// <summary>step-ca could not be configured, written, found or started; the message says what to do.</summary>
internal class StepCaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StepCaException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public StepCaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary><see cref="StepCaOptions"/> are not valid; <see cref="Errors"/> says what to write instead.</summary>
internal sealed class StepCaConfigurationException : StepCaException
{
    /// <summary>Creates the exception from the problems <see cref="StepCaOptions.Validate"/> found.</summary>
    public StepCaConfigurationException(IReadOnlyList<string> errors)
        : base("The step-ca options are not valid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => " - " + e)))
    {
        Errors = errors;
    }

    /// <summary>The problems, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; }
}
