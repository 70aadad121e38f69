namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The step-ca process of a CA that runs on this machine, started by Aspire (console log, Stop/Start/Restart,
/// exit codes, stopped with the app). Its parent <see cref="StepCaResource"/> shows the CA's state.
/// </summary>
/// <param name="name">The resource name, <c>{ca}-server</c>.</param>
/// <param name="command">The step-ca executable.</param>
/// <param name="workingDirectory">The CA's data directory.</param>
/// <param name="ca">The CA it serves.</param>
public sealed class StepCaServerResource(string name, string command, string workingDirectory, StepCaResource ca)
    : ExecutableResource(name, command, workingDirectory), IResourceWithParent<StepCaResource>
{
    /// <summary>The CA this process serves.</summary>
    public StepCaResource Parent { get; } = ca;
}
