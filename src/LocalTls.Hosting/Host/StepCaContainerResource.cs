namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The step-ca of a CA on this machine when no step-ca binary is found but a container runtime is configured: the
/// smallstep image, run by Aspire like <see cref="StepCaServerResource"/> (console log, Stop/Start/Restart, exit
/// codes, stopped with the app), with the CA's data directory mounted on <c>/home/step</c>. Its parent
/// <see cref="StepCaResource"/> shows the CA's state.
/// </summary>
/// <param name="name">The resource name, <c>{ca}-server</c>.</param>
/// <param name="ca">The CA it serves.</param>
public sealed class StepCaContainerResource(string name, StepCaResource ca)
    : ContainerResource(name), IResourceWithParent<StepCaResource>
{
    /// <summary>The CA this container serves.</summary>
    public StepCaResource Parent { get; } = ca;
}
