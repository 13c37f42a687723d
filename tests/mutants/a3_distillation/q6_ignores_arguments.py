# cell: q6-solution
# loses: q6-tests
# Calls kd_loss with its default temperature and alpha instead of the arguments.


def distill(student, teacher, batches, epochs=1, lr=0.1, temperature=4.0, alpha=0.9):
    student.train()
    teacher.eval()
    optimizer = torch.optim.SGD(student.parameters(), lr=lr)  # noqa: F821
    losses = []
    for _ in range(epochs):
        for x, y in batches:
            with torch.no_grad():  # noqa: F821
                t_logits = teacher(x)
            loss = kd_loss(student(x), t_logits, y)  # noqa: F821
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses
